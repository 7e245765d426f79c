package io.podreload.logger;

import java.io.IOException;

/** Where lines go: stdout or a backend. One pipeline, with its own checkpoints, per output. */
interface Output extends AutoCloseable {

  /** Marker appended to each piece of an over-long line but the last. */
  String SPLIT_MARKER = " [line split]";

  /** The name used in metrics and as the checkpoint directory. */
  String name();

  /** How many lines and bytes to gather, and how long to wait for more, before {@link #write}. */
  LoggerSettings.Batching batching();

  /**
   * Writes every line of the batch and returns only once the destination has them (flushed, or
   * acknowledged by the backend). Retries on its own until then; gives up only when {@code
   * stopping} says so, by throwing.
   */
  void write(Batch batch, StopSignal stopping) throws IOException, InterruptedException;

  @Override
  default void close() {}

  /** Lets a retrying output give up when shutdown runs out of time. */
  interface StopSignal {
    boolean giveUp();
  }
}
