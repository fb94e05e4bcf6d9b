package dev.weir.compat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A certificate authority and certificates made at run time with the JDK's keytool, so no key
 * material is ever committed: a CA, a server certificate for 127.0.0.1/localhost, and client
 * certificates with chosen distinguished names. Each comes as a PKCS12 key store (Java clients and
 * brokers) and as PEM files (kcat/librdkafka).
 */
final class TestPki {
    static final String PASSWORD = "weir-test-pass";
    private static final Duration KEYTOOL_TIMEOUT = Duration.ofSeconds(60);

    private final Path dir;

    /** A key store and the PEM files of one certified key. */
    record Identity(Path keystore, Path certificatePem, Path keyPem) {
    }

    private TestPki(Path dir) {
        this.dir = dir;
    }

    /** A new CA in a new directory. */
    static TestPki create(String name) {
        Path dir = CompatPaths.newDataDir("pki-" + name);
        TestPki pki = new TestPki(dir);
        pki.keytool("-genkeypair", "-alias", "ca", "-dname", "CN=Weir Test CA,O=Weir", "-keyalg", "RSA",
                "-keysize", "2048", "-validity", "2", "-ext", "bc:c", "-keystore", pki.path("ca.p12").toString(),
                "-storetype", "PKCS12", "-storepass", PASSWORD);
        pki.keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", pki.path("ca.p12").toString(),
                "-storepass", PASSWORD, "-file", pki.caPem().toString());
        pki.keytool("-importcert", "-noprompt", "-alias", "ca", "-file", pki.caPem().toString(),
                "-keystore", pki.truststore().toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
        return pki;
    }

    Path dir() {
        return dir;
    }

    /** The CA certificate, PEM. */
    Path caPem() {
        return path("ca.pem");
    }

    /** A PKCS12 trust store holding the CA. */
    Path truststore() {
        return path("truststore.p12");
    }

    /** The broker's certificate: valid for 127.0.0.1 and localhost, so host name checks pass. */
    Identity server() {
        return issue("server", "CN=localhost,O=Weir", "SAN=ip:127.0.0.1,dns:localhost");
    }

    /** A client certificate with distinguished name {@code dn}. */
    Identity client(String alias, String dn) {
        return issue(alias, dn, null);
    }

    private Identity issue(String alias, String dn, String san) {
        Path keystore = path(alias + ".p12");
        if (Files.exists(keystore)) {
            return new Identity(keystore, path(alias + "-chain.pem"), path(alias + "-key.pem"));
        }
        keytool("-genkeypair", "-alias", alias, "-dname", dn, "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
        Path csr = path(alias + ".csr");
        Path cert = path(alias + ".pem");
        keytool("-certreq", "-alias", alias, "-keystore", keystore.toString(), "-storepass", PASSWORD,
                "-file", csr.toString());
        List<String> sign = new ArrayList<>(List.of("-gencert", "-rfc", "-alias", "ca", "-keystore",
                path("ca.p12").toString(), "-storepass", PASSWORD, "-infile", csr.toString(), "-outfile",
                cert.toString(), "-validity", "2"));
        if (san != null) {
            sign.addAll(List.of("-ext", san));
        }
        keytool(sign.toArray(String[]::new));
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem().toString(), "-keystore", keystore.toString(),
                "-storepass", PASSWORD);
        keytool("-importcert", "-alias", alias, "-file", cert.toString(), "-keystore", keystore.toString(),
                "-storepass", PASSWORD);
        try {
            Path chain = path(alias + "-chain.pem");
            Files.writeString(chain, Files.readString(cert) + Files.readString(caPem()));
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keystore)) {
                ks.load(in, PASSWORD.toCharArray());
            }
            Key key = ks.getKey(alias, PASSWORD.toCharArray());
            String pem = "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
                    + "\n-----END PRIVATE KEY-----\n";
            Path keyPem = path(alias + "-key.pem");
            Files.writeString(keyPem, pem);
            return new Identity(keystore, chain, keyPem);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path path(String name) {
        return dir.resolve(name);
    }

    private void keytool(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        ChildProcesses.run("keytool", command, "", KEYTOOL_TIMEOUT).assertSucceeded();
    }

    void delete() {
        CompatPaths.deleteRecursively(dir);
    }
}
