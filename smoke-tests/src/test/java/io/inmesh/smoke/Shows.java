package io.inmesh.smoke;

import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What a smoke test shows working, for the README's support table (issue 14): the test's outcome
 * is recorded for {@link #feature} of every library in {@link #value}, on the Java it ran on
 * ({@link SupportRecorder}), and {@link SupportTableCheck} builds the table from those records.
 * On a class it covers every test method of the class; a method's own annotations add to it. A
 * method that covers several libraries and fails counts as failed for each of them (the failure
 * message names the one).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Repeatable(Shows.List.class)
public @interface Shows {

  /** A feature key of {@link SupportTable#FEATURES}. */
  String feature();

  /** Library keys of {@link SupportTable#LIBRARIES}. */
  String[] value();

  @Retention(RetentionPolicy.RUNTIME)
  @Target({ElementType.TYPE, ElementType.METHOD})
  @interface List {
    Shows[] value();
  }
}
