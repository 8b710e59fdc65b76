package io.inmesh.agent.lean;

import static org.assertj.core.api.Assertions.assertThat;

import io.inmesh.bootstrap.InmeshFields;
import io.opentelemetry.instrumentation.api.util.VirtualField;
import java.util.concurrent.atomic.AtomicReference;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.loading.ClassLoadingStrategy;
import net.bytebuddy.pool.TypePool;
import org.junit.jupiter.api.Test;

/** The mesh profile's virtual fields: slots per registered field, written into the class, read through VirtualField. */
class LeanFieldsTest {

  /** A stand-in for a library class a module registers fields on. */
  public static class Carrier {}

  /** A subclass of a class that already has slots: it gets none of its own. */
  public static class SubCarrier extends Carrier {}

  @Test
  void slotsFollowRegistrationOrderAreDedupedAndStopAtFour() {
    LeanFields f = new LeanFields();
    f.register("a.B", "x.One");
    f.register("a.B", "x.Two");
    f.register("a.B", "x.One");
    assertThat(f.slots("a.B")).isEqualTo(2);
    assertThat(f.slot("a.B", "x.Two")).isEqualTo(1);
    assertThat(f.slot("a.B", "x.Nope")).isEqualTo(-1);
    assertThat(f.slots("a.Other")).isZero();
    for (int i = 3; i <= 6; i++) {
      f.register("a.B", "x.F" + i);
    }
    assertThat(f.slots("a.B")).isEqualTo(InmeshFields.SLOTS);
    assertThat(f.slot("a.B", "x.F6")).as("a fifth field stays in the weak map").isEqualTo(-1);
  }

  @Test
  void theWrittenClassCarriesItsSlotsAndVirtualFieldUsesThemWhileOtherObjectsKeepTheMap() throws Exception {
    TypeDescription type = TypeDescription.ForLoadedType.of(Carrier.class);
    ClassFileLocator locator = ClassFileLocator.ForClassLoader.of(Carrier.class.getClassLoader());
    Class<?> woven =
        new ByteBuddy()
            .decorate(type, locator)
            .visit(LeanFields.injector(2))
            .make(TypePool.Default.of(locator))
            .load(new ClassLoader(getClass().getClassLoader()) {}, ClassLoadingStrategy.Default.INJECTION)
            .getLoaded();
    assertThat(InmeshFields.class).isAssignableFrom(woven);
    assertThat(LeanFields.declaresSlot(woven, 1)).isTrue();
    assertThat(LeanFields.declaresSlot(woven, 2)).as("only the slots asked for").isFalse();
    assertThat(LeanFields.declaresSlot(Carrier.class, 0)).as("the class as loaded without the agent").isFalse();

    Object holder = woven.getDeclaredConstructor().newInstance();
    AtomicReference<Object> mapped = new AtomicReference<>();
    VirtualField<Object, Object> map =
        new VirtualField<>() {
          @Override
          public Object get(Object object) {
            return mapped.get();
          }

          @Override
          public void set(Object object, Object value) {
            mapped.set(value);
          }
        };
    LeanFields.Slot<Object, Object> second = new LeanFields.Slot<>(1, map);
    LeanFields.Slot<Object, Object> first = new LeanFields.Slot<>(0, map);
    second.set(holder, "attempt");
    assertThat(second.get(holder)).isEqualTo("attempt");
    assertThat(first.get(holder)).as("slots are separate").isNull();
    assertThat(mapped.get()).as("a holder never touches the map").isNull();

    Object plain = new Carrier();
    second.set(plain, "elsewhere");
    assertThat(mapped.get()).isEqualTo("elsewhere");
    assertThat(second.get(plain)).isEqualTo("elsewhere");
  }

  @Test
  void aSubclassOfAHolderGetsNoSlotsOfItsOwn() {
    assertThat(LeanFields.mayHoldSlots(TypeDescription.ForLoadedType.of(Carrier.class))).isTrue();
    TypeDescription sub =
        new TypeDescription.Latent(
            "x.Sub", java.lang.reflect.Modifier.PUBLIC, TypeDescription.Generic.OfNonGenericType.ForLoadedType.of(Holder.class), java.util.List.of());
    assertThat(LeanFields.mayHoldSlots(sub)).isFalse();
    assertThat(LeanFields.canSee(null)).isTrue();
    assertThat(LeanFields.canSee(Object.class.getModule())).as("java.base does not read inmesh's bootstrap module").isFalse();
  }

  /** A class that already has slots. */
  public static class Holder implements InmeshFields {}
}
