package dev.memdec.trainer.spark;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/** Spark contexts for the stages, and Spark failures turned into one-line errors. */
final class Spark {

    private static final int CONNECT_TIMEOUT_MS = 5000;

    private Spark() {
    }

    /**
     * A context on {@code master}. {@code local[...]} masters stay on loopback with the UI off; a standalone
     * {@code spark://} master must answer on its port first, so an unreachable one fails at once, before anything is
     * written, instead of after Spark's minute of registration retries.
     *
     * @throws IllegalArgumentException naming {@code --spark} when the master is blank, malformed or unreachable
     */
    static JavaSparkContext context(String master) {
        if (master == null || master.isBlank()) {
            throw new IllegalArgumentException("--spark: give a Spark master URL, e.g. local[2] or spark://host:7077");
        }
        if (master.startsWith("spark://")) {
            checkReachable(master);
        }
        SparkConf conf = new SparkConf().setAppName("memdec").setMaster(master)
                .setIfMissing("spark.ui.enabled", "false");
        if (master.startsWith("local")) {
            conf.setIfMissing("spark.driver.host", "127.0.0.1").setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        try {
            JavaSparkContext sc = new JavaSparkContext(conf);
            sc.setLogLevel("WARN");
            return sc;
        } catch (Exception e) {   // SparkException, thrown undeclared from Scala
            throw new IllegalArgumentException("--spark " + master + ": Spark could not start: " + rootMessage(e), e);
        }
    }

    private static void checkReachable(String master) {
        List<String> failures = new ArrayList<>();
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            int colon = hostPort.lastIndexOf(':');
            String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
            int port;
            try {
                port = colon < 0 ? 7077 : Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--spark " + master + ": '" + hostPort
                        + "' is not host:port");
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
                return;
            } catch (IOException e) {
                failures.add(hostPort + " (" + e.getMessage() + ")");
            }
        }
        throw new IllegalArgumentException("--spark " + master + ": no Spark master answers at " + failures
                + "; start the master or fix the URL");
    }

    /**
     * A failed Spark job as the error its task threw: an {@link IllegalArgumentException} (bad input) keeps its
     * one-line message; anything else becomes an {@link IOException} with the task's message.
     */
    static RuntimeException jobFailed(String what, Exception e) throws IOException {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root instanceof IllegalArgumentException iae) {
            return new IllegalArgumentException(iae.getMessage(), e);
        }
        throw new IOException(what + " failed on Spark: " + rootMessage(e), e);
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
