package io.inmesh.agent.lean;

import io.inmesh.bootstrap.InmeshFields;
import io.opentelemetry.instrumentation.api.internal.RuntimeVirtualFieldSupplier;
import io.opentelemetry.instrumentation.api.util.VirtualField;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.description.field.FieldDescription;
import net.bytebuddy.description.field.FieldList;
import net.bytebuddy.description.method.MethodList;
import net.bytebuddy.description.type.TypeDefinition;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.implementation.Implementation;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.pool.TypePool;
import net.bytebuddy.utility.OpenedClassReader;

/**
 * Virtual fields as real fields in the mesh profile (issue 13), as the OpenTelemetry agent gives
 * them in the traced profile: a class on which a module registers fields ({@code registerVirtualFields})
 * gains, when it is first loaded, one volatile field per registered field and implements
 * {@link InmeshFields} over them; {@link VirtualField#find} then answers, for those (type, field)
 * pairs, a field that reads and writes the slot. Anything else — a class loaded before the agent (a
 * retransformation cannot add fields), a fifth field on one class, a subclass of a class that already
 * has slots — keeps the instrumentation API's own weak map, so a module works the same either way.
 */
final class LeanFields {
  private static final String HOLDER = InmeshFields.class.getName().replace('.', '/');

  /** Registered field types per type name, in registration order: the order is the slot. */
  private final Map<String, List<String>> byType = new HashMap<>();

  void register(String typeName, String fieldTypeName) {
    List<String> fields = byType.computeIfAbsent(typeName, k -> new ArrayList<>());
    if (!fields.contains(fieldTypeName)) {
      fields.add(fieldTypeName);
    }
  }

  /** Slots a class of this name gets when it is first loaded (0: none). */
  int slots(String typeName) {
    List<String> fields = byType.get(typeName);
    return fields == null ? 0 : Math.min(fields.size(), InmeshFields.SLOTS);
  }

  boolean isEmpty() {
    return byType.isEmpty();
  }

  /** The slot of a registered field, or -1 (not registered, or beyond the slots). */
  int slot(String typeName, String fieldTypeName) {
    List<String> fields = byType.get(typeName);
    int i = fields == null ? -1 : fields.indexOf(fieldTypeName);
    return i < InmeshFields.SLOTS ? i : -1;
  }

  /**
   * Whether a class may get slots: not when a superclass already implements {@link InmeshFields}
   * (its slots would be another type's). Unknown supertypes: no.
   */
  static boolean mayHoldSlots(TypeDescription type) {
    try {
      for (TypeDefinition t = type.getSuperClass(); t != null; t = t.getSuperClass()) {
        for (TypeDescription.Generic i : t.getInterfaces()) {
          if (i.asErasure().getName().equals(InmeshFields.class.getName())) {
            return false;
          }
        }
      }
      return true;
    } catch (RuntimeException unresolved) {
      return false;
    }
  }

  /** Whether a class of this module may implement {@link InmeshFields} (a named module must read its module). */
  static boolean canSee(Module module) {
    return module == null || !module.isNamed() || module.canRead(InmeshFields.class.getModule());
  }

  /** From now on {@link VirtualField#find} answers slots for the registered pairs (the weak map for the rest). */
  void install() {
    RuntimeVirtualFieldSupplier.VirtualFieldSupplier fallback = RuntimeVirtualFieldSupplier.get();
    RuntimeVirtualFieldSupplier.set(new Supplier(this, fallback));
  }

  /** Adds the slots' fields, the interface and its accessors to the class as it is written. */
  static AsmVisitorWrapper injector(int slots) {
    return new AsmVisitorWrapper.AbstractBase() {
      @Override
      public ClassVisitor wrap(
          TypeDescription instrumentedType,
          ClassVisitor classVisitor,
          Implementation.Context implementationContext,
          TypePool typePool,
          FieldList<FieldDescription.InDefinedShape> fields,
          MethodList<?> methods,
          int writerFlags,
          int readerFlags) {
        return new SlotWriter(classVisitor, slots);
      }
    };
  }

  private static final class SlotWriter extends ClassVisitor {
    private final int slots;
    private String owner;

    SlotWriter(ClassVisitor cv, int slots) {
      super(OpenedClassReader.ASM_API, cv);
      this.slots = slots;
    }

    @Override
    public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
      owner = name;
      String[] with = new String[interfaces == null ? 1 : interfaces.length + 1];
      if (interfaces != null) {
        System.arraycopy(interfaces, 0, with, 0, interfaces.length);
      }
      with[with.length - 1] = HOLDER;
      super.visit(version, access, name, signature, superName, with);
    }

    @Override
    public void visitEnd() {
      for (int i = 0; i < slots; i++) {
        String field = "inmesh$slot" + i;
        super.visitField(Opcodes.ACC_PRIVATE | Opcodes.ACC_VOLATILE | Opcodes.ACC_TRANSIENT | Opcodes.ACC_SYNTHETIC, field, "Ljava/lang/Object;", null, null)
            .visitEnd();
        MethodVisitor get = super.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_SYNTHETIC, "inmesh$get" + i, "()Ljava/lang/Object;", null, null);
        get.visitCode();
        get.visitVarInsn(Opcodes.ALOAD, 0);
        get.visitFieldInsn(Opcodes.GETFIELD, owner, field, "Ljava/lang/Object;");
        get.visitInsn(Opcodes.ARETURN);
        get.visitMaxs(1, 1);
        get.visitEnd();
        MethodVisitor set = super.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_SYNTHETIC, "inmesh$set" + i, "(Ljava/lang/Object;)V", null, null);
        set.visitCode();
        set.visitVarInsn(Opcodes.ALOAD, 0);
        set.visitVarInsn(Opcodes.ALOAD, 1);
        set.visitFieldInsn(Opcodes.PUTFIELD, owner, field, "Ljava/lang/Object;");
        set.visitInsn(Opcodes.RETURN);
        set.visitMaxs(2, 2);
        set.visitEnd();
      }
      super.visitEnd();
    }
  }

  /** {@link VirtualField#find} in the mesh profile. */
  private static final class Supplier implements RuntimeVirtualFieldSupplier.VirtualFieldSupplier {
    private final LeanFields fields;
    private final RuntimeVirtualFieldSupplier.VirtualFieldSupplier fallback;

    Supplier(LeanFields fields, RuntimeVirtualFieldSupplier.VirtualFieldSupplier fallback) {
      this.fields = fields;
      this.fallback = fallback;
    }

    @Override
    public <U extends T, V extends F, T, F> VirtualField<U, V> find(Class<T> type, Class<F> fieldType) {
      VirtualField<U, V> map = fallback.find(type, fieldType);
      int slot = fields.slot(type.getName(), fieldType.getName());
      return slot >= 0 && declaresSlot(type, slot) ? new Slot<>(slot, map) : map;
    }
  }

  /**
   * Whether this very class got the slot when it was loaded (not when it was loaded before the agent,
   * nor when the slots it inherits are a superclass's): only then is the slot this field's.
   */
  static boolean declaresSlot(Class<?> type, int slot) {
    try {
      // only the slot writer declares a field of this name
      type.getDeclaredField("inmesh$slot" + slot);
      return true;
    } catch (NoSuchFieldException | SecurityException e) {
      return false;
    }
  }

  /** One registered field: the slot where the object's class has it, the weak map where it has not. */
  static final class Slot<T, F> extends VirtualField<T, F> {
    private final int slot;
    private final VirtualField<T, F> map;

    Slot(int slot, VirtualField<T, F> map) {
      this.slot = slot;
      this.map = map;
    }

    @Override
    @SuppressWarnings("unchecked")
    public F get(T object) {
      if (!(object instanceof InmeshFields)) {
        return map.get(object);
      }
      InmeshFields h = (InmeshFields) object;
      switch (slot) {
        case 0:
          return (F) h.inmesh$get0();
        case 1:
          return (F) h.inmesh$get1();
        case 2:
          return (F) h.inmesh$get2();
        default:
          return (F) h.inmesh$get3();
      }
    }

    @Override
    public void set(T object, F value) {
      if (!(object instanceof InmeshFields)) {
        map.set(object, value);
        return;
      }
      InmeshFields h = (InmeshFields) object;
      switch (slot) {
        case 0:
          h.inmesh$set0(value);
          break;
        case 1:
          h.inmesh$set1(value);
          break;
        case 2:
          h.inmesh$set2(value);
          break;
        default:
          h.inmesh$set3(value);
      }
    }
  }
}
