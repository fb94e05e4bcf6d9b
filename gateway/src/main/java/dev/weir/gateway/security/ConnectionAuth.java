package dev.weir.gateway.security;

import dev.weir.gateway.config.Listeners;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import javax.net.ssl.SSLSession;
import javax.security.sasl.SaslException;
import javax.security.sasl.SaslServer;
import org.apache.kafka.common.errors.IllegalSaslStateException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.SaslAuthenticateRequest;
import org.apache.kafka.common.requests.SaslAuthenticateResponse;
import org.apache.kafka.common.requests.SaslHandshakeRequest;
import org.apache.kafka.common.requests.SaslHandshakeResponse;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.PlaintextAuthenticationContext;
import org.apache.kafka.common.security.auth.SaslAuthenticationContext;
import org.apache.kafka.common.security.auth.SslAuthenticationContext;
import org.apache.kafka.common.security.scram.internals.ScramFormatter;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is on one connection, and what it may send before that is known: the glue between a
 * listener's security and Kafka's SASL servers, following the states of Kafka's
 * {@code SaslServerAuthenticator}. Before a SASL connection has authenticated only ApiVersions,
 * SaslHandshake and SaslAuthenticate are served; a failed authentication is answered with Kafka's
 * error and message, then the connection closes. A SaslHandshake on an authenticated connection
 * starts a re-authentication (KIP-368), which must keep the principal and the mechanism; a
 * connection whose session lifetime ({@code connections.max.reauth.ms}) has passed is closed at
 * its next request that is not one. Used on the connection's event loop only.
 */
public final class ConnectionAuth {
    private static final Logger log = LoggerFactory.getLogger(ConnectionAuth.class);
    /** As Kafka's KafkaChannel: a connection re-authenticates at most once a second. */
    private static final long MIN_REAUTH_INTERVAL_NANOS = 1_000_000_000L;

    private enum State { INITIAL, HANDSHAKE_OR_VERSIONS, HANDSHAKE, AUTHENTICATE, COMPLETE, REAUTH_BAD_MECHANISM, FAILED }

    /** What a request may do on this connection now. */
    public enum Gate {
        /** Served by its handler as on any authenticated connection. */
        SERVE,
        /** A SASL request of the authentication under way: answered by {@link #handle}. */
        AUTHENTICATION,
        /** Answered with its error response (ILLEGAL_SASL_STATE), then the connection closes. */
        REFUSE,
        /** The connection closes without an answer; {@link #refusal()} says why. */
        CLOSE
    }

    /** A SASL answer and whether the connection closes once it is sent. */
    public record Reply(AbstractResponse response, boolean close) {
    }

    private final ListenerSecurity security;
    private final InetSocketAddress remote;
    private final String serverHost;
    private SSLSession sslSession;
    private KafkaPrincipal principal;
    private State state;
    private boolean kafkaHeaders;
    private SaslServer server;
    private String mechanism;
    private String claimedUser;
    private boolean reauthenticating;
    private boolean expires;
    private long lastReauthNanos;
    private long expiresAtNanos;
    private String refusal;

    public ConnectionAuth(ListenerSecurity security, InetSocketAddress remote, InetSocketAddress local) {
        this.security = security;
        this.remote = remote;
        this.serverHost = local.getHostString();
        if (security.listener().usesSasl()) {
            state = State.INITIAL;
        } else {
            state = State.COMPLETE;
            if (!security.listener().usesSsl()) {
                principal = security.principalBuilder().build(new PlaintextAuthenticationContext(remote.getAddress(),
                        security.listenerName().value()));
            }
        }
    }

    public Listeners.Listener listener() {
        return security.listener();
    }

    public ListenerSecurity security() {
        return security;
    }

    /** The TLS handshake completed: an SSL listener's principal is the certificate's, mapped. */
    public void tlsEstablished(SSLSession session) {
        sslSession = session;
        if (!security.listener().usesSasl()) {
            principal = security.principalBuilder().build(new SslAuthenticationContext(session, remote.getAddress(),
                    security.listenerName().value()));
            if (log.isDebugEnabled()) {
                log.debug("TLS connection from {} on listener {} authenticated as {}", remote, listener().name(),
                        principal);
            }
        }
    }

    /** The authenticated principal; null while authentication is under way. */
    public KafkaPrincipal principal() {
        return principal;
    }

    /** Why the last {@link Gate#CLOSE} or {@link Gate#REFUSE} closes the connection. */
    public String refusal() {
        return refusal;
    }

    /** After a SaslHandshake v0 the client sends bare SASL tokens, not Kafka requests. */
    public boolean expectsBareToken() {
        return state == State.AUTHENTICATE && !kafkaHeaders;
    }

    /**
     * Whether {@code key} may be sent now, at {@code nowNanos}; {@code supported} says whether its
     * version is one Weir serves (an ApiVersions at a version it does not is answered, and the client
     * may ask again at a lower one, as Kafka allows).
     */
    public Gate gate(ApiKeys key, boolean supported, long nowNanos) {
        switch (state) {
            case INITIAL, HANDSHAKE_OR_VERSIONS -> {
                if (key == ApiKeys.API_VERSIONS) {
                    state = supported ? State.HANDSHAKE : State.HANDSHAKE_OR_VERSIONS;
                    return Gate.SERVE;
                }
                if (key == ApiKeys.SASL_HANDSHAKE) {
                    return Gate.AUTHENTICATION;
                }
                return close(state == State.INITIAL
                        ? "Invalid request, potential reasons: kafka client configured with the wrong security "
                                + "protocol, it does not support KIP-43 or it is not a kafka client (a " + key
                                + " request before SASL authentication)"
                        : "Unexpected Kafka request of type " + key + " during SASL handshake.");
            }
            case HANDSHAKE -> {
                return key == ApiKeys.SASL_HANDSHAKE ? Gate.AUTHENTICATION
                        : close("Unexpected Kafka request of type " + key + " during SASL handshake.");
            }
            case AUTHENTICATE -> {
                if (key == ApiKeys.SASL_AUTHENTICATE) {
                    return Gate.AUTHENTICATION;
                }
                state = State.FAILED;
                refusal = "Unexpected Kafka request of type " + key + " during SASL authentication.";
                return Gate.REFUSE;
            }
            case REAUTH_BAD_MECHANISM -> {
                state = State.FAILED;
                return close("SASL mechanism requested by client is not supported for re-authentication of "
                        + "mechanism '" + mechanism + "'");
            }
            case COMPLETE -> {
                // As Kafka: re-authentication exists only for sessions that expire, and starts at most once a
                // second; any other SaslHandshake is served as on a plaintext listener (ILLEGAL_SASL_STATE).
                if (key == ApiKeys.SASL_HANDSHAKE && expires
                        && (lastReauthNanos == 0 || nowNanos - lastReauthNanos >= MIN_REAUTH_INTERVAL_NANOS)) {
                    lastReauthNanos = nowNanos;
                    reauthenticating = true;
                    return Gate.AUTHENTICATION;
                }
                if (expires && nowNanos - expiresAtNanos > 0) {
                    return close("its SASL session expired (connections.max.reauth.ms) before it re-authenticated");
                }
                return Gate.SERVE;
            }
            default -> {
                return close("authentication failed before");
            }
        }
    }

    private Gate close(String why) {
        refusal = why;
        state = State.FAILED;
        return Gate.CLOSE;
    }

    /** The error response of a request refused by {@link Gate#REFUSE}. */
    public AbstractResponse refusalResponse(AbstractRequest request) {
        return request.getErrorResponse(new IllegalSaslStateException(refusal));
    }

    /** Answers a SaslHandshake or SaslAuthenticate admitted by {@link Gate#AUTHENTICATION}. */
    public Reply handle(AbstractRequest request, short version, long nowNanos) {
        if (request instanceof SaslHandshakeRequest handshake) {
            return handshake(handshake.data().mechanism(), version);
        }
        SaslAuthenticateRequest authenticate = (SaslAuthenticateRequest) request;
        byte[] token = Utils.copyArray(authenticate.data().authBytes());
        noteClaimedUser(token);
        try {
            byte[] answer = server.evaluateResponse(token);
            long lifetimeMs = 0;
            if (server.isComplete()) {
                lifetimeMs = complete(nowNanos);
            }
            return new Reply(new SaslAuthenticateResponse(new SaslAuthenticateResponseData()
                    .setAuthBytes(answer == null ? new byte[0] : answer).setSessionLifetimeMs(lifetimeMs)), false);
        } catch (SaslAuthenticationException e) {
            return failed(e.getMessage());
        } catch (SaslException e) {
            // As Kafka: the SASL server's own message may say whether the user exists; the client is not told.
            log.debug("SASL {} failed for {}: {}", mechanism, remote, e.getMessage());
            return failed("Authentication failed during " + (reauthenticating ? "re-authentication" : "authentication")
                    + " due to invalid credentials with SASL mechanism " + mechanism);
        }
    }

    /** Evaluates a bare token (after SaslHandshake v0); null answer: nothing to send. Throws to close. */
    public byte[] evaluateBareToken(byte[] token, long nowNanos) throws SaslException {
        noteClaimedUser(token);
        try {
            byte[] answer = server.evaluateResponse(token);
            if (server.isComplete()) {
                complete(nowNanos);
            }
            return answer;
        } catch (SaslException | SaslAuthenticationException e) {
            state = State.FAILED;
            logFailure(e.getMessage());
            throw e instanceof SaslException s ? s : new SaslException(e.getMessage(), e);
        }
    }

    private Reply handshake(String requested, short version) {
        if (version >= 1) {
            kafkaHeaders = true;
        }
        SaslHandshakeResponseData data = new SaslHandshakeResponseData().setMechanisms(security.mechanisms());
        if (!security.mechanisms().contains(requested)) {
            state = State.FAILED;
            log.info("Failed authentication with {} on listener {}: unsupported SASL mechanism {} (enabled: {})",
                    remote.getAddress().getHostAddress(), listener().name(), requested, security.mechanisms());
            return new Reply(new SaslHandshakeResponse(data.setErrorCode(Errors.UNSUPPORTED_SASL_MECHANISM.code())), true);
        }
        if (reauthenticating && !requested.equals(mechanism)) {
            state = State.REAUTH_BAD_MECHANISM;
            return new Reply(new SaslHandshakeResponse(data), false);
        }
        disposeServer();
        try {
            server = security.newSaslServer(requested, serverHost);
        } catch (SaslException e) {
            state = State.FAILED;
            log.warn("Cannot create a {} SASL server for listener {}: {}", requested, listener().name(), e.getMessage());
            return new Reply(new SaslHandshakeResponse(data.setErrorCode(Errors.UNKNOWN_SERVER_ERROR.code())), true);
        }
        mechanism = requested;
        claimedUser = null;
        state = State.AUTHENTICATE;
        return new Reply(new SaslHandshakeResponse(data), false);
    }

    /** Authentication succeeded: the principal, and the session's lifetime (0: none). */
    private long complete(long nowNanos) {
        KafkaPrincipal authenticated = security.principalBuilder().build(new SaslAuthenticationContext(server,
                listener().protocol(), remote.getAddress(), security.listenerName().value(), Optional.ofNullable(sslSession)));
        if (reauthenticating && !authenticated.equals(principal)) {
            throw new SaslAuthenticationException(String.format(
                    "Cannot change principals during re-authentication from %s.%s: %s.%s",
                    principal.getPrincipalType(), principal.getName(),
                    authenticated.getPrincipalType(), authenticated.getName()));
        }
        long lifetimeMs = Math.max(0, security.reauthMs(mechanism));
        expires = lifetimeMs > 0;
        expiresAtNanos = nowNanos + lifetimeMs * 1_000_000L;
        principal = authenticated;
        state = State.COMPLETE;
        if (log.isDebugEnabled()) {
            log.debug("{} from {} on listener {} with {} as {}{}", reauthenticating ? "Re-authenticated" : "Authenticated",
                    remote, listener().name(), mechanism, principal,
                    lifetimeMs > 0 ? ", session lifetime " + lifetimeMs + " ms" : "");
        }
        reauthenticating = false;
        disposeServer();
        return lifetimeMs;
    }

    private Reply failed(String message) {
        state = State.FAILED;
        logFailure(message);
        return new Reply(new SaslAuthenticateResponse(new SaslAuthenticateResponseData()
                .setErrorCode(Errors.SASL_AUTHENTICATION_FAILED.code()).setErrorMessage(message)), true);
    }

    private void logFailure(String message) {
        log.info("Failed {} with {} on listener {} (user {}, mechanism {}): {}",
                reauthenticating ? "re-authentication" : "authentication", remote.getAddress().getHostAddress(),
                listener().name(), claimedUser == null ? "unknown" : claimedUser, mechanism, message);
    }

    /** The user name a client's first token claims, for the log line of a failure; never the password. */
    private void noteClaimedUser(byte[] token) {
        if (claimedUser != null) {
            return;
        }
        try {
            claimedUser = claimedUser(mechanism, token);
        } catch (RuntimeException e) {
            claimedUser = null;
        }
    }

    static String claimedUser(String mechanism, byte[] token) {
        if (mechanism.equals("PLAIN")) {
            // [authzid] NUL authcid NUL password
            int first = indexOf(token, 0);
            int second = first < 0 ? -1 : indexOf(token, first + 1);
            return second < 0 ? null : new String(token, first + 1, second - first - 1, StandardCharsets.UTF_8);
        }
        // SCRAM client-first-message: gs2-header "n,[a=authzid]," then "n=saslname,r=nonce..."
        String message = new String(token, StandardCharsets.UTF_8);
        String[] parts = message.split(",", -1);
        for (int i = 2; i < parts.length; i++) {
            if (parts[i].startsWith("n=")) {
                return ScramFormatter.username(parts[i].substring(2));
            }
        }
        return null;
    }

    private static int indexOf(byte[] b, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    private void disposeServer() {
        if (server != null) {
            try {
                server.dispose();
            } catch (SaslException e) {
                log.debug("Disposing a SASL server failed: {}", e.getMessage());
            }
            server = null;
        }
    }

    /** The connection closed. */
    public void closed() {
        disposeServer();
    }
}
