package io.inmesh.policy.model;

import com.google.re2j.Pattern;

/**
 * Istio HTTPRewrite. {@code uri} replaces the matched prefix when the rule matched on a prefix
 * (the whole path otherwise); {@code uriRegexRewrite} replaces every match of {@code regexMatch}
 * with {@code regexRewrite} ({@code \1} style groups).
 */
public record HttpRewrite(String uri, String authority, Pattern regexMatch, String regexRewrite) {

  /** The path after {@code uriRegexRewrite}, or the path unchanged when there is none. */
  public String rewriteWithRegex(String path) {
    if (regexMatch == null) {
      return path;
    }
    // RE2 (and Envoy) write groups as \1; re2j's replaceAll wants $1
    String replacement = regexRewrite.replace("$", "\\$").replaceAll("\\\\(\\d)", "\\$$1");
    return regexMatch.matcher(path).replaceAll(replacement);
  }
}
