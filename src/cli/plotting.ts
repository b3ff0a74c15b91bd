/** The commands' check that a plot can be drawn, before any long work. */
import { loadPlotting, PlottingUnavailableError } from '../sim/plot.js'
import { CommandError } from './command.js'

/**
 * Fails before a long run when `--plot` cannot be drawn.
 * @throws {CommandError} saying how to install vega and vega-lite
 */
export async function requirePlotting(): Promise<void> {
  try {
    await loadPlotting()
  } catch (e) {
    if (e instanceof PlottingUnavailableError) throw new CommandError(e.message)
    throw e
  }
}
