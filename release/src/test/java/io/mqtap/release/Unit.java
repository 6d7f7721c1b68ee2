package io.mqtap.release;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** deploy/mqtap.service read as systemd reads it (the [Service] keys the tests start the service with). */
record Unit(Map<String, List<String>> service) {
    static Path file() {
        return Path.of(System.getProperty("mqtap.root", "..")).resolve("deploy/mqtap.service");
    }

    static Unit read(Path file) throws IOException {
        Map<String, List<String>> keys = new LinkedHashMap<>();
        String section = "";
        for (String raw : Files.readAllLines(file)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            if (line.startsWith("[")) {
                section = line;
                continue;
            }
            if (!section.equals("[Service]")) continue;
            int eq = line.indexOf('=');
            keys.computeIfAbsent(line.substring(0, eq), k -> new ArrayList<>()).add(line.substring(eq + 1));
        }
        return new Unit(keys);
    }

    String one(String key) {
        List<String> v = service.get(key);
        if (v == null || v.size() != 1) throw new IllegalStateException(key + ": expected once in the unit, found " + v);
        return v.get(0);
    }

    /** Capability names as setpriv takes them: "CAP_BPF CAP_PERFMON" -> "+bpf,+perfmon". */
    String capsFor(String key) {
        List<String> out = new ArrayList<>();
        for (String c : one(key).split("\\s+")) out.add("+" + c.toLowerCase().replaceFirst("^cap_", ""));
        return String.join(",", out);
    }

    /** Environment= assignments ("A=b c" quoted as a whole, or A=b). */
    Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        for (String v : service.getOrDefault("Environment", List.of())) {
            String a = v.startsWith("\"") && v.endsWith("\"") ? v.substring(1, v.length() - 1) : v;
            env.put(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
        }
        return env;
    }
}
