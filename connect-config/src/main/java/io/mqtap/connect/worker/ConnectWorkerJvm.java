package io.mqtap.connect.worker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What a Connect worker JVM of either mode shares: its command line, its log, and how it is stopped by its own pid. */
final class ConnectWorkerJvm {
    private ConnectWorkerJvm() {}

    /** {@code java ... -cp workerLib/* mainClass}: the worker's heap, GC, Avro limits and logging; arguments follow. */
    static List<String> command(Path workerLib, String mainClass) {
        if (!Files.isDirectory(workerLib)) {
            throw new IllegalStateException("no worker classpath at " + workerLib + ": build connect-config first");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xms64m");
        cmd.add("-Xmx768m");
        cmd.add("-XX:+UseSerialGC"); // two cores shared with the broker, the registry and the test
        // Apicurio's converter reads with plain Avro: a record may not make it allocate past these (the rest goes to the DLQ)
        cmd.add("-Dorg.apache.avro.limits.collectionItems.maxLength=10000");
        cmd.add("-Dorg.apache.avro.limits.string.maxLength=1048576");
        cmd.add("-Dorg.apache.avro.limits.bytes.maxLength=1048576");
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
        cmd.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
        cmd.add("-Dorg.slf4j.simpleLogger.log.org.apache.kafka.clients=warn");
        cmd.add("-Dorg.slf4j.simpleLogger.log.org.apache.kafka.common=warn");
        cmd.add("-cp");
        cmd.add(workerLib.toAbsolutePath() + "/*");
        cmd.add(mainClass);
        return cmd;
    }

    /** The last {@code lines} lines of a worker's log. */
    static String logTail(Path logFile, int lines) {
        try {
            List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** SIGTERM to the worker's own pid, SIGKILL after 20 s; nothing if it has exited. */
    static void stop(Process process) {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
