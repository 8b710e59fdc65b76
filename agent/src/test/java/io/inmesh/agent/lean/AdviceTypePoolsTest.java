package io.inmesh.agent.lean;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.concurrent.atomic.AtomicInteger;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.pool.TypePool;
import org.junit.jupiter.api.Test;

class AdviceTypePoolsTest {

  /** The "extension" loader: sees this test's classes, counts how often a class file is read. */
  static final class CountingLoader extends ClassLoader {
    final AtomicInteger reads = new AtomicInteger();

    CountingLoader() {
      super(AdviceTypePoolsTest.class.getClassLoader());
    }

    @Override
    public InputStream getResourceAsStream(String name) {
      if (name.equals(SomeAdvice.class.getName().replace('.', '/') + ".class")) {
        reads.incrementAndGet();
      }
      return super.getResourceAsStream(name);
    }
  }

  static final class SomeAdvice {}

  @Test
  void anAdviceClassIsReadOnceAcrossWeaves() {
    CountingLoader extension = new CountingLoader();
    AdviceTypePools pools = new AdviceTypePools(extension);
    for (int weave = 0; weave < 3; weave++) {
      // each weave gets its own pool over the woven class's locator, as ForAdvice asks for it
      TypePool pool = pools.typePool(ClassFileLocator.ForClassLoader.of(extension), null);
      assertThat(pool.describe(SomeAdvice.class.getName()).resolve().getSimpleName()).isEqualTo("SomeAdvice");
    }
    assertThat(extension.reads.get()).isEqualTo(1);
  }

  @Test
  void aTypeOnlyTheWovenClassesLoaderSeesIsNotKeptForTheNextWeave() {
    String appType = "com.example.OnlyInTheApp";
    byte[] bytes = new net.bytebuddy.ByteBuddy().subclass(Object.class).name(appType).make().getBytes();
    AdviceTypePools pools = new AdviceTypePools(new CountingLoader());

    TypePool weaveInApp = pools.typePool(ClassFileLocator.Simple.of(appType, bytes), null);
    assertThat(weaveInApp.describe(appType).isResolved()).isTrue();

    // another weave, in a loader without that type: the first weave's resolution is not shared
    TypePool weaveElsewhere = pools.typePool(ClassFileLocator.NoOp.INSTANCE, null);
    assertThat(weaveElsewhere.describe(appType).isResolved()).isFalse();
  }
}
