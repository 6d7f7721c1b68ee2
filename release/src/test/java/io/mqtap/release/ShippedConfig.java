package io.mqtap.release;

import java.nio.file.Path;

/**
 * The shipped config.yml, edited as an operator would for the release tests' single test broker: the durability floor
 * lowered to what one broker allows (the shipped 3 and 2 make the service refuse it), and optionally a spool directory of
 * the test's own, so a service run as root on the build machine never writes the installed service's /var/lib/mqtap.
 */
final class ShippedConfig {
    private ShippedConfig() {}

    static String forOneBroker(String shipped, Path spoolDir) {
        String s = replace(shipped, "  minReplication: 3 ", "  minReplication: 1 ");
        s = replace(s, "  minInsyncReplicas: 2 ", "  minInsyncReplicas: 1 ");
        return spoolDir == null ? s : replace(s, "  dir: /var/lib/mqtap/spool ", "  dir: " + spoolDir + " ");
    }

    private static String replace(String text, String line, String by) {
        // the shipped file changed: say so, rather than run the service with a setting the test did not mean
        if (!text.contains(line)) throw new IllegalStateException("the shipped config.yml has no '" + line.strip() + "' line any more");
        return text.replace(line, by);
    }
}
