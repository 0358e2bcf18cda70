package dev.memdec.trainer.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.SparkConf;

/**
 * The main class for {@code spark-submit}: {@code spark-submit --class dev.memdec.trainer.spark.SubmitMain
 * --master URL … memdec-trainer-spark.jar datastore|knn OPTIONS} runs the memdec command with {@code --spark} set
 * to the master spark-submit was given.
 */
public final class SubmitMain {

    private SubmitMain() {
    }

    public static void main(String[] args) {
        List<String> argv = new ArrayList<>(Arrays.asList(args));
        if (argv.isEmpty() || !(argv.get(0).equals("datastore") || argv.get(0).equals("knn"))) {
            System.err.println("memdec on Spark: the first argument must be 'datastore' or 'knn', got "
                    + (argv.isEmpty() ? "nothing" : "'" + argv.get(0) + "'"));
            System.exit(1);
        }
        if (!argv.contains("--spark") && argv.stream().noneMatch(a -> a.startsWith("--spark="))) {
            String master = new SparkConf().get("spark.master", "");
            if (master.isBlank()) {
                System.err.println("memdec on Spark: no master; run through spark-submit --master URL, or pass --spark");
                System.exit(1);
            }
            argv.add("--spark");
            argv.add(master);
        }
        dev.memdec.plugin.cli.Main.main(argv.toArray(String[]::new));
    }
}
