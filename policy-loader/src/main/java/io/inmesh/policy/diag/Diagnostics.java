package io.inmesh.policy.diag;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Collects findings in the order they were made. */
public final class Diagnostics {
  private final List<Diagnostic> items = new ArrayList<>();

  public void add(Diagnostic d) {
    items.add(d);
  }

  public void addAll(List<Diagnostic> ds) {
    items.addAll(ds);
  }

  public boolean hasErrors() {
    for (Diagnostic d : items) {
      if (d.isError()) {
        return true;
      }
    }
    return false;
  }

  public int errorCount() {
    int n = 0;
    for (Diagnostic d : items) {
      if (d.isError()) {
        n++;
      }
    }
    return n;
  }

  public List<Diagnostic> list() {
    return Collections.unmodifiableList(items);
  }

  public static boolean anyError(List<Diagnostic> ds) {
    for (Diagnostic d : ds) {
      if (d.isError()) {
        return true;
      }
    }
    return false;
  }
}
