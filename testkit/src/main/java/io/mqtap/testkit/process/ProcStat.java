package io.mqtap.testkit.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time and resident memory of a process, from /proc (utime + stime in clock ticks, VmRSS), and the load average. */
public final class ProcStat {
    private static final long TICKS_PER_SECOND = clockTicks();

    private ProcStat() {}

    /** utime + stime of the whole process (all threads), in seconds. */
    public static double cpuSeconds(long pid) {
        try {
            String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // fields after the command, which is in parentheses and may itself contain spaces
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            long utime = Long.parseLong(f[11]);
            long stime = Long.parseLong(f[12]);
            return (utime + stime) / (double) TICKS_PER_SECOND;
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to read /proc/" + pid + "/stat", e);
        }
    }

    /** Resident set size in MiB. */
    public static double rssMiB(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
            throw new IllegalStateException("no VmRSS in /proc/" + pid + "/status");
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to read /proc/" + pid + "/status", e);
        }
    }

    public static long ticksPerSecond() {
        return TICKS_PER_SECOND;
    }

    /** getconf CLK_TCK; 100 on Linux x86_64 when it can't be asked. */
    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (p.waitFor() == 0 && out.matches("\\d+")) return Long.parseLong(out);
        } catch (IOException e) {
            // fall through to the Linux default
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 100;
    }

    /** One line of /proc/loadavg: "1.23 2.34 3.45". */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }
}
