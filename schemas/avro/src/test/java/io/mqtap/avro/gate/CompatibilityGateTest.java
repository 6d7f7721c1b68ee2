package io.mqtap.avro.gate;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqOpenStats;
import io.mqtap.avro.gate.CompatibilityGate.Level;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompatibilityGateTest {

    private static final Path SCHEMAS = Path.of("src/main/avro");
    private static final Path RELEASED = Path.of("src/released");

    @TempDir Path tmp;

    @Test
    void currentSchemasPassAgainstTheirReleases() throws IOException {
        assertThat(CompatibilityGate.check(SCHEMAS, RELEASED, Level.FULL_TRANSITIVE)).isEmpty();
    }

    @Test
    void generatedClassesCarryTheSchemaFiles() throws IOException {
        // equal up to the avro.java.string properties the generator adds
        assertThat(SchemaNormalization.parsingFingerprint64(MqOpen.getClassSchema()))
                .isEqualTo(SchemaNormalization.parsingFingerprint64(parse(SCHEMAS.resolve("MqOpen.avsc"))));
        assertThat(SchemaNormalization.parsingFingerprint64(MqOpenStats.getClassSchema()))
                .isEqualTo(SchemaNormalization.parsingFingerprint64(parse(SCHEMAS.resolve("MqOpenStats.avsc"))));
        assertThat(MqOpen.getClassSchema().getField("attr").schema().getTypes().get(1).getFullName()).isEqualTo("io.mqtap.avro.MqAttr");
    }

    @Test
    void theRecordsOfAQueuesLifeAreGatedAndCarryTheDedupKey() throws IOException {
        List<org.apache.avro.specific.SpecificRecordBase> records = List.of(new io.mqtap.avro.MqUnlink(), new io.mqtap.avro.MqNotify(),
                new io.mqtap.avro.MqSetAttr(), new io.mqtap.avro.MqAccess(), new io.mqtap.avro.MqTransfer());
        for (var r : records) {
            String name = r.getSchema().getName();
            assertThat(SchemaNormalization.parsingFingerprint64(r.getSchema()))
                    .as(name).isEqualTo(SchemaNormalization.parsingFingerprint64(parse(SCHEMAS.resolve(name + ".avsc"))));
            // released, so the gate checks every later change against them
            assertThat(RELEASED.resolve(name + "-1.avsc")).as(name).exists();
            // one counter for every type: the completeness monitor sees gaps across them
            for (String key : List.of("hostname", "machineId", "bootId", "runId", "sequence", "timestamp", "probe"))
                assertThat(r.getSchema().getField(key)).as(name + "." + key).isNotNull();
            assertThat(r.getSchema().getField("sequence").schema().getType()).isEqualTo(Schema.Type.LONG);
        }
    }

    @Test
    void typeChangeFailsNamingTheField() throws IOException {
        write("MqOpen.avsc", read("MqOpen.avsc").replace("\"name\": \"cpu\", \"type\": \"int\"", "\"name\": \"cpu\", \"type\": \"string\""));
        List<String> problems = CompatibilityGate.check(tmp, RELEASED, Level.BACKWARD);
        // BACKWARD: against the latest released version only
        assertThat(problems).singleElement().asString()
                .contains("MqOpen.avsc vs released MqOpen-3.avsc", "field MqOpen.cpu", "TYPE_MISMATCH");
        // the transitive level checks every release, naming each
        List<String> all = CompatibilityGate.check(tmp, RELEASED, Level.BACKWARD_TRANSITIVE);
        assertThat(all).hasSize(3);
        for (int v = 1; v <= 3; v++)
            assertThat(all.get(v - 1)).contains("MqOpen.avsc vs released MqOpen-" + v + ".avsc", "field MqOpen.cpu");
    }

    @Test
    void newFieldWithoutDefaultFailsBackwardNamingTheField() throws IOException {
        write("MqOpen.avsc", read("MqOpen.avsc").replaceFirst("\"fields\": \\[",
                "\"fields\": [\n {\"name\": \"kernelRelease\", \"type\": \"string\", \"doc\": \"uname -r\"},"));
        assertThat(CompatibilityGate.check(tmp, RELEASED, Level.BACKWARD)).singleElement().asString()
                .contains("field MqOpen.kernelRelease", "READER_FIELD_MISSING_DEFAULT_VALUE");
    }

    @Test
    void nestedFieldIsNamedByItsPath() throws IOException {
        write("MqOpen.avsc", read("MqOpen.avsc").replace("{\"name\": \"maxmsg\", \"type\": \"long\"", "{\"name\": \"maxmsg\", \"type\": \"int\""));
        assertThat(CompatibilityGate.check(tmp, RELEASED, Level.BACKWARD)).singleElement().asString()
                .contains("field MqOpen.attr.maxmsg");
    }

    @Test
    void removingAFieldWithoutDefaultFailsForwardOnly() throws IOException {
        write("MqOpenStats.avsc", read("MqOpenStats.avsc").replaceAll("(?m)^\\s*\\{\"name\": \"dropped\".*\\n", ""));
        assertThat(CompatibilityGate.check(tmp, RELEASED, Level.BACKWARD)).isEmpty();
        // FULL_TRANSITIVE: against every released version (MqOpenStats-1, -2, ...), each naming the field
        long released;
        try (var files = Files.list(RELEASED)) {
            released = files.filter(f -> f.getFileName().toString().matches("MqOpenStats-\\d+\\.avsc")).count();
        }
        assertThat(released).isGreaterThanOrEqualTo(7);
        assertThat(CompatibilityGate.check(tmp, RELEASED, Level.FULL_TRANSITIVE)).hasSize((int) released)
                .allSatisfy(p -> assertThat(p).contains("released schema cannot read data written with the new one", "field MqOpenStats.dropped"));
    }

    @Test
    void optionalFieldWithDefaultPassesFull() throws IOException {
        write("MqOpen.avsc", read("MqOpen.avsc").replaceFirst("\"fields\": \\[",
                "\"fields\": [\n {\"name\": \"kernelRelease\", \"type\": [\"null\", \"string\"], \"default\": null, \"doc\": \"uname -r\"},"));
        assertThat(CompatibilityGate.check(tmp, RELEASED, Level.FULL_TRANSITIVE)).isEmpty();
    }

    @Test
    void missingDocIsReported() throws IOException {
        write("MqOpenStats.avsc", read("MqOpenStats.avsc").replace(", \"doc\": \"Records made since the run began: events read out of the kernel buffer (every call type) and "
                + "MqAccess records read from the kernel's send/receive counts; each got a sequence.\"", ""));
        assertThat(CompatibilityGate.check(tmp, RELEASED, Level.FULL)).singleElement().asString()
                .contains("field MqOpenStats.captured has no doc");
    }

    private String read(String name) throws IOException {
        return Files.readString(SCHEMAS.resolve(name));
    }

    private void write(String name, String text) throws IOException {
        Files.writeString(tmp.resolve(name), text);
    }

    private static Schema parse(Path p) throws IOException {
        return new Schema.Parser().parse(p.toFile());
    }
}
