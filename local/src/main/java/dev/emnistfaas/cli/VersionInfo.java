package dev.emnistfaas.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code --version}: the project version (from the build) and the commit the launcher found. */
final class VersionInfo implements IVersionProvider {
  @Override
  public String[] getVersion() {
    Properties p = new Properties();
    try (InputStream in = VersionInfo.class.getResourceAsStream("/emnist-version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read emnist-version.properties", e);
    }
    return new String[] {"emnist " + p.getProperty("version", "(unknown version)") + ", commit "
        + System.getProperty("emnist.commit", "unknown (run through ./emnist to see it)")
        + ", Java " + Runtime.version()};
  }
}
