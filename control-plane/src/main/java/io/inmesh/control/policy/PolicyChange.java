package io.inmesh.control.policy;

/** What one scan found about one file. */
public record PolicyChange(String file, Kind kind, PolicyFileState state, int removedResources) {

  public enum Kind {
    LOADED,
    REJECTED,
    DELETED
  }

  /** One log line, without the snapshot version (the caller knows it only after refreshing). */
  public String describe() {
    return switch (kind) {
      case LOADED -> "policy " + file + " loaded: " + count(state.serving().size(), "resource") + warnings();
      case REJECTED ->
          "policy "
              + file
              + " REJECTED ("
              + count(state.errors().size(), "error")
              + "): "
              + (state.servingLastGood()
                  ? "serving its last good version (" + count(state.serving().size(), "resource") + ")"
                  : "it never loaded, so it contributes nothing");
      case DELETED -> "policy " + file + " deleted: " + count(removedResources, "resource") + " removed";
    };
  }

  private String warnings() {
    int n = state.warnings().size();
    return n == 0 ? "" : ", " + count(n, "warning");
  }

  private static String count(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}
