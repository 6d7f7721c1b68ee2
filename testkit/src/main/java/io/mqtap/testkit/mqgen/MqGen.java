package io.mqtap.testkit.mqgen;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the native programs built by mqgen/ (mq_open_helper, mq_open_gen): under the system
 * property {@code mqtap.root} (surefire sets it to the repository root), else in the first
 * {@code mqgen/target} found walking up from the working directory.
 */
public final class MqGen {
    public static final String HELPER = "mq_open_helper";
    /** The scripted helper for the rest of a queue's life: send, receive, notify, getsetattr, unlink (mq_life_helper.c). */
    public static final String LIFE_HELPER = "mq_life_helper";
    public static final String GENERATOR = "mq_open_gen";
    /** A static i386 program: its mq_open calls take the kernel's compat (IA-32 emulation) path. */
    public static final String COMPAT32 = "mq_open32";
    /** mq_life_helper built as a static i386 program: the rest of a queue's life through the compat syscalls. */
    public static final String LIFE32 = "mq_life32";

    private MqGen() {}

    /** The path of a built mqgen program; IllegalStateException naming every place looked in. */
    public static Path binary(String name) {
        List<String> tried = new ArrayList<>();
        String root = System.getProperty("mqtap.root");
        if (root != null && !root.isBlank()) {
            Path p = Path.of(root, "mqgen", "target", name);
            if (Files.isExecutable(p)) return p;
            tried.add(p.toString());
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path p = dir.resolve("mqgen").resolve("target").resolve(name);
            if (Files.isExecutable(p)) return p;
            tried.add(p.toString());
        }
        throw new IllegalStateException(name + " not found (build it with `make -C mqgen OUT=mqgen/target` or "
                + "`mvn -pl mqgen install`); looked in: " + String.join(", ", tried));
    }

    /** True when the program is built, for assumptions. */
    public static boolean available(String name) {
        try {
            binary(name);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }
}
