package io.mqtap.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Class path entries copied where a child run as another user can read them: a clone under /root, or ~/.m2,
 * is not readable by nobody, and a test that needs an unprivileged JVM must not skip because of where it sits.
 */
public final class ReadableClasspath {
    private ReadableClasspath() {}

    /** This JVM's class path, copied under {@code dir}. */
    public static String ofThisJvm(Path dir) throws IOException {
        List<Path> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) entries.add(Path.of(e));
        return copy(entries, dir);
    }

    /**
     * Copies each entry (jar or class folder) that exists into {@code dir}, readable by everyone, and returns the
     * copies as a class path. {@code dir} and its parents inside the temp directory are made traversable.
     */
    public static String copy(List<Path> entries, Path dir) throws IOException {
        Files.createDirectories(dir);
        // dir and its parents up to (not including) the temp root, e.g. a 0700 @TempDir, become traversable
        Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
        for (Path d = dir.toAbsolutePath(); d.startsWith(tmp) && !d.equals(tmp); d = d.getParent()) readable(d);
        List<String> out = new ArrayList<>();
        int i = 0;
        for (Path src : entries) {
            if (!Files.exists(src)) continue;
            Path dst = dir.resolve((i++) + "-" + src.getFileName());
            if (Files.isDirectory(src)) {
                try (Stream<Path> paths = Files.walk(src)) {
                    for (Path s : (Iterable<Path>) paths::iterator) {
                        Path d = dst.resolve(src.relativize(s).toString());
                        if (Files.isDirectory(s)) Files.createDirectories(d);
                        else Files.copy(s, d, StandardCopyOption.REPLACE_EXISTING);
                        readable(d);
                    }
                }
            } else {
                Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
                readable(dst);
            }
            out.add(dst.toString());
        }
        return String.join(File.pathSeparator, out);
    }

    private static void readable(Path p) throws IOException {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
    }
}
