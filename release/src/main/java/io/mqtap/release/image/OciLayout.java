package io.mqtap.release.image;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Writes an OCI image layout (image-spec v1: oci-layout, index.json, blobs/sha256/...) as one tar, the form
 * {@code podman load}, {@code skopeo copy oci-archive:} and containerd's {@code ctr image import} take.
 * Layers come in as plain tars and are stored gzipped; their diff ids (uncompressed digests) go in the config.
 */
final class OciLayout {
    static final String LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
    static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String CONFIG = "application/vnd.oci.image.config.v1+json";

    private static final ObjectMapper JSON = new ObjectMapper();

    record Blob(String digest, long size, byte[] bytes, Path file) {}

    /** A layer: its gzipped blob, and the digest of the tar inside (the config's diff id). */
    record Layer(Blob blob, String diffId, String createdBy) {}

    private OciLayout() {}

    static Layer layer(Path tar, Path gz, String createdBy) throws IOException {
        // GZIPOutputStream writes no name and mtime 0: the same tar always gives the same blob
        try (InputStream in = Files.newInputStream(tar); OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz), 1 << 16)) {
            in.transferTo(out);
        }
        return new Layer(new Blob(digest(gz), Files.size(gz), null, gz), digest(tar), createdBy);
    }

    /** The image config: what runs, as whom, with which environment; plus the layers' diff ids. */
    static ObjectNode config(List<Layer> layers, String user, List<String> entrypoint, List<String> cmd, List<String> env,
                             String workingDir, Map<String, String> labels, String created) {
        ObjectNode c = JSON.createObjectNode();
        c.put("created", created);
        c.put("architecture", "amd64");
        c.put("os", "linux");
        ObjectNode cfg = c.putObject("config");
        cfg.put("User", user);
        entrypoint.forEach(cfg.putArray("Entrypoint")::add);
        cmd.forEach(cfg.putArray("Cmd")::add);
        env.forEach(cfg.putArray("Env")::add);
        cfg.put("WorkingDir", workingDir);
        ObjectNode l = cfg.putObject("Labels");
        labels.forEach(l::put);
        ObjectNode rootfs = c.putObject("rootfs");
        rootfs.put("type", "layers");
        ArrayNode ids = rootfs.putArray("diff_ids");
        ArrayNode history = c.putArray("history");
        for (Layer layer : layers) {
            ids.add(layer.diffId());
            history.addObject().put("created", created).put("created_by", layer.createdBy());
        }
        return c;
    }

    /** Writes the layout tar: config and manifest blobs, the layers, index.json naming the image {@code ref}. */
    static void write(Path out, ObjectNode config, List<Layer> layers, String ref, Map<String, String> annotations) throws IOException {
        byte[] configBytes = JSON.writeValueAsBytes(config);
        Blob configBlob = new Blob(digest(configBytes), configBytes.length, configBytes, null);
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", MANIFEST);
        descriptor(manifest.putObject("config"), CONFIG, configBlob);
        ArrayNode ls = manifest.putArray("layers");
        for (Layer l : layers) descriptor(ls.addObject(), LAYER, l.blob());
        ObjectNode ann = manifest.putObject("annotations");
        annotations.forEach(ann::put);
        byte[] manifestBytes = JSON.writeValueAsBytes(manifest);
        Blob manifestBlob = new Blob(digest(manifestBytes), manifestBytes.length, manifestBytes, null);

        ObjectNode index = JSON.createObjectNode();
        index.put("schemaVersion", 2);
        index.put("mediaType", "application/vnd.oci.image.index.v1+json");
        ObjectNode m = index.putArray("manifests").addObject();
        descriptor(m, MANIFEST, manifestBlob);
        m.putObject("annotations").put("org.opencontainers.image.ref.name", ref);
        m.putObject("platform").put("architecture", "amd64").put("os", "linux");

        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(Files.newOutputStream(out))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            entry(tar, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes());
            entry(tar, "index.json", JSON.writeValueAsBytes(index));
            List<Blob> blobs = new ArrayList<>(List.of(configBlob, manifestBlob));
            for (Layer l : layers) blobs.add(l.blob());
            for (Blob b : blobs) {
                String name = "blobs/sha256/" + b.digest().substring("sha256:".length());
                if (b.bytes() != null) {
                    entry(tar, name, b.bytes());
                } else {
                    TarArchiveEntry e = new TarArchiveEntry(name);
                    e.setSize(b.size());
                    e.setModTime(0);
                    tar.putArchiveEntry(e);
                    Files.copy(b.file(), tar);
                    tar.closeArchiveEntry();
                }
            }
        }
    }

    private static void descriptor(ObjectNode d, String mediaType, Blob b) {
        d.put("mediaType", mediaType);
        d.put("digest", b.digest());
        d.put("size", b.size());
    }

    private static void entry(TarArchiveOutputStream tar, String name, byte[] bytes) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(bytes.length);
        e.setModTime(0);
        tar.putArchiveEntry(e);
        tar.write(bytes);
        tar.closeArchiveEntry();
    }

    static String digest(Path file) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    static String digest(byte[] bytes) {
        return "sha256:" + HexFormat.of().formatHex(sha256().digest(bytes));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
