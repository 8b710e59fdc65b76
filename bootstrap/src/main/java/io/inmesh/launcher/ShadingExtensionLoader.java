package io.inmesh.launcher;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.security.cert.Certificate;
import java.util.Collections;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The mesh profile's loader of inmesh's extension jar (child of the upstream {@code AgentClassLoader}).
 *
 * <p>inmesh's modules are compiled against the unshaded {@code io.opentelemetry.instrumentation.api}
 * ({@code VirtualField}); inside the agent jar that package is shaded to
 * {@code io.opentelemetry.javaagent.shaded.instrumentation.api}, and the OpenTelemetry agent's
 * extension loader rewrites extension classes as it loads them. This loader does the same, for both
 * the classes it defines and the class files Byte Buddy reads to inline advice
 * ({@link #getResourceAsStream}): class names live in the constant pool's UTF-8 entries, so the
 * rewrite is a constant-pool pass (no ASM: Byte Buddy's copy is not visible from here).
 */
public final class ShadingExtensionLoader extends ClassLoader {

  static final String FROM = "io/opentelemetry/instrumentation/api/";
  static final String TO = "io/opentelemetry/javaagent/shaded/instrumentation/api/";
  /**
   * inmesh compiles against the {@code byte-buddy} artifact, whose ASM is repackaged under
   * {@code net.bytebuddy.jar.asm}; the OpenTelemetry agent bundles Byte Buddy with plain ASM
   * ({@code org.objectweb.asm}), which is what the agent's loader has. The mesh host's own class
   * visitors ({@code LeanFields}) name it so.
   */
  static final String ASM_FROM = "net/bytebuddy/jar/asm/";

  static final String ASM_TO = "org/objectweb/asm/";

  static {
    registerAsParallelCapable();
  }

  private final JarFile jar;
  private final String base;
  private final ProtectionDomain domain;

  public ShadingExtensionLoader(File file, ClassLoader parent) throws IOException {
    super(parent);
    this.jar = new JarFile(file, false);
    this.base = "jar:" + file.toURI() + "!/";
    this.domain =
        new ProtectionDomain(new CodeSource(file.toURI().toURL(), (Certificate[]) null), null, this, null);
  }

  @Override
  protected Class<?> findClass(String name) throws ClassNotFoundException {
    byte[] bytes = classBytes(name.replace('.', '/') + ".class");
    if (bytes == null) {
      throw new ClassNotFoundException(name);
    }
    int dot = name.lastIndexOf('.');
    if (dot > 0) {
      String pkg = name.substring(0, dot);
      if (getPackage(pkg) == null) {
        try {
          definePackage(pkg, null, null, null, null, null, null, null);
        } catch (IllegalArgumentException raced) {
          // defined by another thread
        }
      }
    }
    return defineClass(name, bytes, 0, bytes.length, domain);
  }

  /** The shaded bytes of a class file in the extension jar, or null. */
  private byte[] classBytes(String path) {
    JarEntry e = jar.getJarEntry(path);
    if (e == null) {
      return null;
    }
    try {
      InputStream in = jar.getInputStream(e);
      try {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.max(256, e.getSize()));
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) > 0) {
          out.write(buf, 0, n);
        }
        return shade(out.toByteArray());
      } finally {
        in.close();
      }
    } catch (IOException io) {
      return null;
    }
  }

  /** Class files come from this jar first (shaded), so Byte Buddy inlines the same bytes the JVM runs. */
  @Override
  public InputStream getResourceAsStream(String name) {
    if (name.endsWith(".class")) {
      byte[] bytes = classBytes(name);
      if (bytes != null) {
        return new ByteArrayInputStream(bytes);
      }
    }
    return super.getResourceAsStream(name);
  }

  @Override
  protected URL findResource(String name) {
    if (jar.getJarEntry(name) == null) {
      return null;
    }
    try {
      return new URL(base + name);
    } catch (MalformedURLException e) {
      return null;
    }
  }

  @Override
  protected Enumeration<URL> findResources(String name) {
    URL u = findResource(name);
    return u == null ? Collections.<URL>emptyEnumeration() : Collections.enumeration(Collections.singletonList(u));
  }

  @Override
  public String toString() {
    return "inmesh-lean-extension-loader";
  }

  private static String rename(String s) {
    String r = s.indexOf(FROM) >= 0 ? s.replace(FROM, TO) : s;
    return r.indexOf(ASM_FROM) >= 0 ? r.replace(ASM_FROM, ASM_TO) : r;
  }

  /** Rewrites every constant-pool UTF-8 entry that names the unshaded packages; other bytes unchanged. */
  static byte[] shade(byte[] cls) throws IOException {
    if (indexOf(cls, FROM.getBytes("UTF-8"), 0) < 0 && indexOf(cls, ASM_FROM.getBytes("UTF-8"), 0) < 0) {
      return cls;
    }
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(cls));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(cls.length + 256);
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(in.readInt()); // magic
    out.writeShort(in.readUnsignedShort()); // minor
    out.writeShort(in.readUnsignedShort()); // major
    int count = in.readUnsignedShort();
    out.writeShort(count);
    for (int i = 1; i < count; i++) {
      int tag = in.readUnsignedByte();
      out.writeByte(tag);
      switch (tag) {
        case 1: // Utf8
          String s = in.readUTF();
          out.writeUTF(rename(s));
          break;
        case 7: // Class
        case 8: // String
        case 16: // MethodType
        case 19: // Module
        case 20: // Package
          out.writeShort(in.readUnsignedShort());
          break;
        case 15: // MethodHandle
          out.writeByte(in.readUnsignedByte());
          out.writeShort(in.readUnsignedShort());
          break;
        case 3: // Integer
        case 4: // Float
        case 9: // Fieldref
        case 10: // Methodref
        case 11: // InterfaceMethodref
        case 12: // NameAndType
        case 17: // Dynamic
        case 18: // InvokeDynamic
          out.writeInt(in.readInt());
          break;
        case 5: // Long
        case 6: // Double
          out.writeLong(in.readLong());
          i++;
          break;
        default:
          throw new IOException("unknown constant pool tag " + tag);
      }
    }
    byte[] rest = new byte[in.available()];
    in.readFully(rest);
    out.write(rest);
    out.flush();
    return bytes.toByteArray();
  }

  private static int indexOf(byte[] hay, byte[] needle, int from) {
    outer:
    for (int i = from; i <= hay.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
