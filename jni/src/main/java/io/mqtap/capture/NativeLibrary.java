package io.mqtap.capture;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Finds libmqtap.so: the system property {@code mqtap.native.path} (a file, or a directory holding
 * libmqtap.so), then {@code System.loadLibrary("mqtap")}, then extraction from
 * {@code META-INF/native/<os>-<arch>/libmqtap.so} inside the jar.
 */
public final class NativeLibrary {
    public static final String PATH_PROPERTY = "mqtap.native.path";
    static final String NAME = "mqtap";

    private static boolean loaded;

    private NativeLibrary() {}

    /** The jar resource this platform needs, e.g. META-INF/native/linux-x86_64/libmqtap.so. */
    public static String resourcePath() {
        return "META-INF/native/" + platform() + "/" + System.mapLibraryName(NAME);
    }

    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux") ? "linux"
                : System.getProperty("os.name", "unknown").toLowerCase(Locale.ROOT).replace(' ', '_');
        String arch = switch (System.getProperty("os.arch", "")) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> System.getProperty("os.arch");
        };
        return os + "-" + arch;
    }

    /** Loads the library once; throws UnsatisfiedLinkError naming every place looked in. */
    public static synchronized void load() {
        if (loaded) return;
        List<String> tried = new ArrayList<>();
        String prop = System.getProperty(PATH_PROPERTY);
        if (prop != null && !prop.isBlank()) {
            File f = new File(prop);
            if (f.isDirectory()) f = new File(f, System.mapLibraryName(NAME));
            try {
                System.load(f.getAbsolutePath());
                loaded = true;
                return;
            } catch (UnsatisfiedLinkError e) {
                tried.add("-D" + PATH_PROPERTY + "=" + f.getAbsolutePath() + " (" + e.getMessage() + ")");
            }
        }
        try {
            System.loadLibrary(NAME);
            loaded = true;
            return;
        } catch (UnsatisfiedLinkError e) {
            tried.add("System.loadLibrary(\"" + NAME + "\") in java.library.path="
                    + System.getProperty("java.library.path") + " (" + e.getMessage() + ")");
        }
        String resource = resourcePath();
        try (InputStream in = NativeLibrary.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                tried.add("classpath resource " + resource + " (not found)");
            } else {
                Path tmp = Files.createTempFile("libmqtap-", ".so");
                tmp.toFile().deleteOnExit();
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                try {
                    System.load(tmp.toString());
                    loaded = true;
                    return;
                } catch (UnsatisfiedLinkError e) {
                    tried.add("classpath resource " + resource + " extracted to " + tmp + " (" + e.getMessage() + ")");
                }
            }
        } catch (IOException e) {
            tried.add("classpath resource " + resource + " (extraction failed: " + e + ")");
        }
        throw new UnsatisfiedLinkError("libmqtap.so not found or not loadable; looked for: " + String.join("; ", tried));
    }
}
