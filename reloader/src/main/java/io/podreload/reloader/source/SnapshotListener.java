package io.podreload.reloader.source;

/** Receives each new content of a source's directory. Called from the source's own thread. */
@FunctionalInterface
public interface SnapshotListener {
  void changed(SourceChange change);
}
