package io.inmesh.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The mesh profile's constant-pool rewrite of inmesh's extension classes (the agent's shading of
 * {@code io.opentelemetry.instrumentation.api}): every UTF-8 entry naming the package is rewritten,
 * every other constant (long, double, method handles, invokedynamic) survives, and the class still
 * loads and runs.
 */
class ShadingExtensionLoaderTest {

  /** Carries every kind of constant the rewrite must step over, and one name it must rewrite. */
  public static final class Sample implements Supplier<String> {
    static final long BIG = 1234567890123L;
    static final double PI = 3.14159;

    @Override
    public String get() {
      long l = BIG + System.nanoTime() * 0;
      double d = PI + l * 0;
      Supplier<String> lambda = () -> "io/opentelemetry/instrumentation/api/util/VirtualField";
      return lambda.get() + "|" + l + "|" + d + "|" + "net/bytebuddy/jar/asm/ClassVisitor";
    }
  }

  @Test
  void rewritesTheShadedPackageAndKeepsEverythingElse() throws Exception {
    byte[] original;
    try (InputStream in = Sample.class.getResourceAsStream("ShadingExtensionLoaderTest$Sample.class")) {
      original = in.readAllBytes();
    }
    byte[] shaded = ShadingExtensionLoader.shade(original);
    assertThat(shaded).isNotEqualTo(original);
    assertThat(new String(shaded, "ISO-8859-1"))
        .contains("io/opentelemetry/javaagent/shaded/instrumentation/api/util/VirtualField");
    ClassLoader loader =
        new ClassLoader(getClass().getClassLoader()) {
          @Override
          protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (name.equals(Sample.class.getName())) {
              synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                return c != null ? c : defineClass(name, shaded, 0, shaded.length);
              }
            }
            return super.loadClass(name, resolve);
          }
        };
    @SuppressWarnings("unchecked")
    Supplier<String> s = (Supplier<String>) loader.loadClass(Sample.class.getName()).getDeclaredConstructor().newInstance();
    // and Byte Buddy's repackaged ASM is the agent's plain ASM
    assertThat(s.get()).isEqualTo("io/opentelemetry/javaagent/shaded/instrumentation/api/util/VirtualField|1234567890123|3.14159|org/objectweb/asm/ClassVisitor");
  }

  @Test
  void leavesClassesWithoutThePackageUntouched() throws Exception {
    byte[] original;
    try (InputStream in = Profile.class.getResourceAsStream("Profile.class")) {
      original = in.readAllBytes();
    }
    assertThat(ShadingExtensionLoader.shade(original)).isSameAs(original);
  }
}
