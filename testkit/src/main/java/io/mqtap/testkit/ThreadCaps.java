package io.mqtap.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One thread's capability sets as /proc/&lt;pid&gt;/task/&lt;tid&gt;/status shows them. Capabilities are per
 * thread: a process's status file shows only its main thread, so least privilege is proven thread by thread.
 */
public record ThreadCaps(long tid, String name, long effective, long permitted, long inheritable, long ambient, long bounding) {
    /** Every thread of {@code pid} (threads that end while they are read are left out). */
    public static List<ThreadCaps> of(long pid) {
        List<ThreadCaps> out = new ArrayList<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks) {
                try {
                    out.add(parse(Long.parseLong(t.getFileName().toString()), Files.readAllLines(t.resolve("status"))));
                } catch (NoSuchFileException ended) {
                    // gone between the listing and the read
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static ThreadCaps parse(long tid, List<String> status) {
        String name = "";
        long[] v = new long[5];
        String[] keys = {"CapEff:", "CapPrm:", "CapInh:", "CapAmb:", "CapBnd:"};
        for (String line : status) {
            if (line.startsWith("Name:")) name = line.substring(5).trim();
            for (int i = 0; i < keys.length; i++) {
                if (line.startsWith(keys[i])) v[i] = Long.parseUnsignedLong(line.substring(keys[i].length()).trim(), 16);
            }
        }
        return new ThreadCaps(tid, name, v[0], v[1], v[2], v[3], v[4]);
    }

    @Override
    public String toString() {
        return String.format("%d (%s): CapEff %016x CapPrm %016x CapInh %016x CapAmb %016x CapBnd %016x", tid, name, effective,
                permitted, inheritable, ambient, bounding);
    }
}
