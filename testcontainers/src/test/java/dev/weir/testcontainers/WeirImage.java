package dev.weir.testcontainers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Future;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * The image the tests run: built once per test JVM from the repository's Dockerfile and the gateway
 * jar the reactor built (no Maven inside the image), removed when the JVM exits. Base image: system
 * property weir.docker.baseImage or WEIR_DOCKER_BASE_IMAGE, else local/debian:bookworm when the engine
 * has it (made by .ci/docker-engine.sh), else the Dockerfile's public default.
 */
final class WeirImage {
    static final String LOCAL_BASE = "local/debian:bookworm";
    private static Future<String> image;

    private WeirImage() {
    }

    /** The built image's name (the build runs on first use). */
    static synchronized String name() {
        if (image == null) {
            image = build();
        }
        try {
            return image.get();
        } catch (Exception e) {
            throw new IllegalStateException("building the Weir image failed: " + e, e);
        }
    }

    /**
     * Removes the image if this JVM built it: with Ryuk disabled, Testcontainers' own clean-up prunes
     * only dangling images, and this one is tagged.
     */
    static synchronized void remove() {
        if (image != null && image.isDone()) {
            removeImage(name());
        }
        image = null;
    }

    static void removeImage(String name) {
        try {
            DockerClientFactory.instance().client().removeImageCmd(name).withForce(true).exec();
        } catch (com.github.dockerjava.api.exception.NotFoundException e) {
            // already gone
        }
    }

    static Path repoDir() {
        return Path.of(System.getProperty("weir.docker.repoDir", "..")).toAbsolutePath().normalize();
    }

    static String baseImage() {
        String configured = setting("weir.docker.baseImage", "WEIR_DOCKER_BASE_IMAGE");
        if (configured != null && !configured.isEmpty()) {
            return configured;
        }
        return hasLocalImage(LOCAL_BASE) ? LOCAL_BASE : null;
    }

    static boolean hasLocalImage(String name) {
        try {
            DockerClientFactory.instance().client().inspectImageCmd(name).exec();
            return true;
        } catch (com.github.dockerjava.api.exception.NotFoundException e) {
            return false;
        }
    }

    private static ImageFromDockerfile build() {
        Path repo = repoDir();
        Path jar = repo.resolve("gateway/target/weir-gateway.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no gateway jar at " + jar + ": build through the reactor"
                    + " (mvn -pl testcontainers -am verify)");
        }
        ImageFromDockerfile built = new ImageFromDockerfile("weir-test:" + Long.toString(System.nanoTime(), 36), true)
                .withFileFromPath("Dockerfile", repo.resolve("Dockerfile"))
                .withFileFromPath(".dockerignore", repo.resolve(".dockerignore"))
                .withFileFromPath("gateway/target/weir-gateway.jar", jar)
                .withFileFromPath("config/gateway.properties", repo.resolve("config/gateway.properties"))
                .withFileFromPath("docker/weir-entrypoint", repo.resolve("docker/weir-entrypoint"))
                .withFileFromPath("docker/weir-healthcheck", repo.resolve("docker/weir-healthcheck"));
        String base = baseImage();
        if (base != null) {
            built.withBuildArg("BASE_IMAGE", base);
        }
        return built;
    }

    private static String setting(String property, String env) {
        String value = System.getProperty(property);
        return value != null ? value : System.getenv(env);
    }
}
