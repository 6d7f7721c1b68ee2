package io.mqtap.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mqtap.testkit.Kernel;
import io.mqtap.testkit.mqgen.MqGen;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo as a user runs it: bounded, with --json; records arrive and decode, and nothing is left behind. */
@Tag("kernel")
@Tag("jvm")
class DemoTest {
    private static final Pattern READY = Pattern.compile(
            "(?m)^mqtap ready kafka=127\\.0\\.0\\.1:(\\d+) schema-registry=http://127\\.0\\.0\\.1:(\\d+)/\\S+ topic=mq-open-events probe=(\\w+)$");

    @TempDir Path work;

    private Process demo(List<String> prefix, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        Files.createDirectories(work.resolve("tmp"));
        // its own temp root: another demo running on this machine can't be mistaken for a leftover of this one
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-Djava.io.tmpdir=" + work.resolve("tmp"), "-Dmqtap.root=" + System.getProperty("mqtap.root", ""), "-cp", System.getProperty("java.class.path"),
                DemoMain.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectOutput(work.resolve("out").toFile()).redirectError(work.resolve("err").toFile()).start();
    }

    @Test
    void jsonRunShowsRealEventsThenLeavesNothingRunning() throws Exception {
        Kernel.assumeBpf();
        Instant started = Instant.now();
        Process p = demo(List.of(), "--duration", "20", "--json");
        assertThat(p.waitFor(240, TimeUnit.SECONDS)).as("demo stops by itself").isTrue();
        String err = Files.readString(work.resolve("err"));
        assertThat(p.exitValue()).as(err).isZero();

        Matcher ready = READY.matcher(err);
        assertThat(ready.find()).as("exactly one ready line on stderr:\n" + err).isTrue();
        assertThat(ready.find()).as("only one ready line").isFalse();
        ready.reset().find();
        assertThat(ready.group(3)).isEqualTo("tracepoint");

        List<String> lines = Files.readAllLines(work.resolve("out"));
        assertThat(lines).as("records on stdout").hasSizeGreaterThan(100);
        ObjectMapper json = new ObjectMapper();
        List<Long> seqs = new java.util.ArrayList<>();
        java.util.Set<String> types = new java.util.TreeSet<>();
        for (String line : lines) {
            JsonNode r = json.readTree(line);  // stdout holds JSON lines and nothing else
            String type = r.get("type").asText();
            types.add(type);
            seqs.add(r.get("sequence").asLong());
            assertThat(r.get("probe").asText()).isEqualTo("tracepoint");
            if (type.equals("MqOpen") || type.equals("MqUnlink")) assertThat(r.get("nameRaw").asText()).matches("[0-9a-f]*");
        }
        // the topics' records arrive interleaved; together they are the run's one sequence, 0.. without gap or repeat
        java.util.Collections.sort(seqs);
        for (int i = 0; i < seqs.size(); i++) assertThat(seqs.get(i)).as("sequence at " + i).isEqualTo(i);
        assertThat(types).as("the generator exercises every call; aggregated sends and receives")
                .contains("MqOpen", "MqUnlink", "MqNotify", "MqSetAttr", "MqAccess");
        assertThat(lines).anyMatch(l -> l.contains("\"errno\":null")).anyMatch(l -> l.contains("\"errno\":\"ENOENT\""))
                .anyMatch(l -> l.contains("\"comm\":\"mq_open_gen\""));
        assertThat(err).contains("mqtap demo stopped: captured ");

        // nothing left listening, running, or on disk
        assertThat(listening(Integer.parseInt(ready.group(1)))).as("kafka port closed").isFalse();
        assertThat(listening(Integer.parseInt(ready.group(2)))).as("registry port closed").isFalse();
        String generator = MqGen.binary(MqGen.GENERATOR).toString();  // this checkout's, not another one's
        assertThat(ProcessHandle.allProcesses().filter(h -> h.info().command().orElse("").equals(generator)
                && h.info().startInstant().map(t -> t.isAfter(started)).orElse(false)).toList()).isEmpty();
        assertThat(demoDirs()).as("the demo's temporary directory is removed").isEmpty();
    }

    @Test
    void withoutBpfCapabilitiesItSaysWhatIsMissingAndHow() throws Exception {
        Kernel.assumeBpf();
        Process p = demo(List.of("setpriv", "--bounding-set", "-bpf,-perfmon,-sys_admin", "--"), "--duration", "5");
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String err = Files.readString(work.resolve("err"));
        assertThat(p.exitValue()).isNotZero();
        assertThat(err).contains("CAP_BPF and CAP_PERFMON").contains("sudo ./mqtap demo").contains("setcap");
        assertThat(Files.readString(work.resolve("out"))).isEmpty();
    }

    @Test
    void badOptionsAreNamed() throws Exception {
        Process p = demo(List.of(), "--duration", "soon");
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(Files.readString(work.resolve("err"))).contains("--duration takes a positive whole number, not 'soon'");
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private List<Path> demoDirs() throws IOException {
        try (Stream<Path> s = Files.list(work.resolve("tmp"))) {
            return s.filter(d -> d.getFileName().toString().startsWith("mqtap-demo-")).toList();
        }
    }
}
