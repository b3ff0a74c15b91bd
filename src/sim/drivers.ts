/** The driver of each protocol: both run BloomwalkNode, in its bloom walk or its MVDS mode. */
import { BloomDriver } from './bloom-driver.js'
import type { Driver } from './driver.js'
import { MvdsDriver } from './mvds-driver.js'
import type { SimWorld } from './world.js'

/** The driver for the world's scenario. */
export function driverFor(world: SimWorld): Driver {
  return world.scenario.protocol === 'bloom' ? new BloomDriver(world) : new MvdsDriver(world)
}
