package io.inmesh.agent.lean;

import static net.bytebuddy.matcher.ElementMatchers.declaresField;
import static net.bytebuddy.matcher.ElementMatchers.hasSuperType;
import static net.bytebuddy.matcher.ElementMatchers.isInterface;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static org.assertj.core.api.Assertions.assertThat;

import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.matcher.ElementMatcher;
import org.junit.jupiter.api.Test;

/** The name pre-filter of the mesh profile's transformer: exact where it answers, null (describe) otherwise. */
class TypeNamesTest {

  @Test
  void namedAndNamedOneOfGiveTheirNames() {
    assertThat(TypeNames.of(named("sun.net.httpserver.ServerImpl$Exchange"))).containsExactly("sun.net.httpserver.ServerImpl$Exchange");
    assertThat(TypeNames.of(namedOneOf("io.undertow.server.protocol.http.HttpOpenListener", "io.undertow.server.protocol.http2.Http2OpenListener")))
        .containsExactlyInAnyOrder("io.undertow.server.protocol.http.HttpOpenListener", "io.undertow.server.protocol.http2.Http2OpenListener");
  }

  @Test
  void orIsTheUnionAndAndIsBoundedByItsNamedBranch() {
    ElementMatcher.Junction<TypeDescription> either = named("sun.net.httpserver.HttpServerImpl").or(named("sun.net.httpserver.HttpsServerImpl"));
    assertThat(TypeNames.of(either)).containsExactlyInAnyOrder("sun.net.httpserver.HttpServerImpl", "sun.net.httpserver.HttpsServerImpl");
    ElementMatcher.Junction<TypeDescription> both = named("feign.SynchronousMethodHandler").and(declaresField(named("retryer")));
    assertThat(TypeNames.of(both)).containsExactly("feign.SynchronousMethodHandler");
  }

  @Test
  void anythingElseIsOpenSoItsClassesAreDescribedAsBefore() {
    assertThat(TypeNames.of(not(isInterface()).and(hasSuperType(named("feign.Client"))))).isNull();
    assertThat(TypeNames.of(nameStartsWith("okhttp3."))).isNull();
    assertThat(TypeNames.of(named("a.B").or(nameStartsWith("c.")))).isNull();
    assertThat(TypeNames.of(isInterface())).isNull();
  }

  @Test
  void theTransformerSkipsUnnamedClassesButKeepsEntriesItCannotReduce() {
    LeanTransformer.Entry byName = new LeanTransformer.Entry(named("sun.net.httpserver.ServerImpl"), ElementMatcherAny.ANY, java.util.List.of());
    LeanTransformer t = new LeanTransformer(nameStartsWith("net.bytebuddy."), java.util.List.of(byName), new LeanListener());
    assertThat(t.unnamedEntries()).isZero();
    assertThat(t.candidate("sun/net/httpserver/ServerImpl", null)).isTrue();
    assertThat(t.candidate("java/util/HashMap", null)).isFalse();

    LeanTransformer.Entry open = new LeanTransformer.Entry(hasSuperType(named("feign.Client")), loader -> loader == ClassLoader.getSystemClassLoader(), java.util.List.of());
    LeanTransformer both = new LeanTransformer(nameStartsWith("net.bytebuddy."), java.util.List.of(byName, open), new LeanListener());
    assertThat(both.unnamedEntries()).isEqualTo(1);
    assertThat(both.candidate("com/example/MyFeignClient", ClassLoader.getSystemClassLoader())).as("its loaders' classes are described").isTrue();
    assertThat(both.candidate("java/util/HashMap", null)).as("not in a loader the open entry wants").isFalse();
  }

  /** Any class loader. */
  enum ElementMatcherAny implements ElementMatcher<ClassLoader> {
    ANY;

    @Override
    public boolean matches(ClassLoader target) {
      return true;
    }
  }
}
