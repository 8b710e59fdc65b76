package io.inmesh.control.policy;

import java.util.regex.Pattern;

/**
 * Which names in the policy folder are policy. Editors leave hidden and backup files next to the
 * real one ({@code .#canary.yaml}, {@code canary.yaml~}, {@code .canary.yaml.swp}), and Kubernetes
 * ConfigMap mounts add {@code ..data} links; serving any of those would serve a draft.
 */
public final class PolicyFileNames {

  /** What the API may write: a plain file name, so a request can never escape the folder. */
  private static final Pattern API_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,200}\\.(yaml|yml)");

  private PolicyFileNames() {}

  public static boolean isPolicyFile(String name) {
    return !name.startsWith(".")
        && !name.endsWith("~")
        && (name.endsWith(".yaml") || name.endsWith(".yml"));
  }

  /** @return why the API must refuse this name, or null when it is fine */
  public static String problemWithApiName(String name) {
    if (name == null || name.isEmpty()) {
      return "missing ?file=NAME.yaml";
    }
    if (name.contains("/") || name.contains("\\") || name.contains("..")) {
      return "file name \"" + name + "\" must be a plain name inside the policy folder (no '/', '\\' or '..')";
    }
    if (!name.endsWith(".yaml") && !name.endsWith(".yml")) {
      return "file name \"" + name + "\" must end in .yaml or .yml";
    }
    if (!API_NAME.matcher(name).matches()) {
      return "file name \"" + name + "\" may use letters, digits, '.', '_' and '-', and must not start with '.'";
    }
    return null;
  }
}
