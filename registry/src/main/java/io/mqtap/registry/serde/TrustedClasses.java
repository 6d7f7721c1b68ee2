package io.mqtap.registry.serde;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro instantiates a generated class by the name a schema gives only when the class is trusted. The deserializer
 * trusts exactly the named types of the reader schemas its callers chose (a generated class they passed, or mqtap's
 * own records), on top of whatever the JVM already trusts: a writer schema from the registry can't name a class of
 * its own choosing.
 */
final class TrustedClasses implements ClassSecurityValidator.ClassSecurityPredicate {
    private static final Set<String> NAMES = ConcurrentHashMap.newKeySet();

    static {
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(), new TrustedClasses()));
    }

    private TrustedClasses() {}

    /** Trusts the records, enums and fixed types of {@code schema}, nested ones included. */
    static void trust(Schema schema) {
        collect(schema, new HashSet<>());
    }

    /** mqtap's own generated records (io.mqtap.*), the only ones read by the name a writer schema gives. */
    static boolean ours(Schema schema) {
        return schema.getFullName().startsWith("io.mqtap.");
    }

    private static void collect(Schema s, Set<Schema> seen) {
        if (!seen.add(s)) return;
        switch (s.getType()) {
            case RECORD -> {
                NAMES.add(s.getFullName());
                s.getFields().forEach(f -> collect(f.schema(), seen));
            }
            case ENUM, FIXED -> NAMES.add(s.getFullName());
            case ARRAY -> collect(s.getElementType(), seen);
            case MAP -> collect(s.getValueType(), seen);
            case UNION -> s.getTypes().forEach(t -> collect(t, seen));
            default -> { }
        }
    }

    @Override
    public boolean isTrusted(Class<?> c) {
        return NAMES.contains(c.getName().replace('$', '.'));
    }
}
