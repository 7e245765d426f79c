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
   * Takes every line of the batch. A backend returns once it has acknowledged them, retrying on its
   * own until then; stdout returns once they are written, or once a write that failed part way kept
   * the rest. Either way the lines are at the destination only when {@link #awaitWritten} returns.
   * Gives up only when {@code stopping} says so, by throwing {@link GaveUpException}. Once it
   * returns the batch is done with. When it throws, the batch was not taken and is given again.
   */
  void write(Batch batch, StopSignal stopping) throws IOException, InterruptedException;

  /**
   * Returns once every batch given to {@link #write} is at the destination: the caller saves
   * checkpoints only after this. Throws when what a write left could not be written now either (the
   * next call tries it again). Outputs that finish in {@code write} have nothing to wait for.
   */
  default void awaitWritten() throws IOException, InterruptedException {}

  @Override
  default void close() {}

  /** Thrown by an output that ran out of time retrying during shutdown. */
  final class GaveUpException extends IOException {
    GaveUpException(String message) {
      super(message);
    }
  }

  /** Lets a retrying output give up when shutdown runs out of time. */
  interface StopSignal {
    boolean giveUp();
  }
}
