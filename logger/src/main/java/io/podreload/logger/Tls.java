package io.podreload.logger;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** TLS that trusts a backend's own certificate authority (a PEM file) as well as the JVM's. */
final class Tls {
  private Tls() {}

  /**
   * A context trusting the certificates in the PEM file {@code caCert} and the JVM's default
   * authorities. Fails with a message naming {@code setting} when the file holds none.
   */
  static SSLContext trusting(Path caCert, String setting) {
    try {
      Collection<? extends Certificate> certs;
      try (InputStream in = Files.newInputStream(caCert)) {
        certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
      }
      if (certs.isEmpty()) {
        throw new IllegalArgumentException(
            setting + "=" + caCert + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
      }
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate c : certs) {
        store.setCertificateEntry("ca-" + i++, c);
      }
      List<TrustManager> managers = new ArrayList<>();
      managers.add(manager(store));
      managers.add(manager(null)); // the JVM's own authorities
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {new EitherTrustManager(managers)}, null);
      return context;
    } catch (IOException e) {
      throw new IllegalArgumentException(
          setting + "=" + caCert + " cannot be read (" + e + "): mount the CA certificate there",
          e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          setting + "=" + caCert + " is not a PEM certificate file: " + e.getMessage(), e);
    }
  }

  private static X509TrustManager manager(KeyStore store) throws GeneralSecurityException {
    TrustManagerFactory f =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    f.init(store);
    for (TrustManager m : f.getTrustManagers()) {
      if (m instanceof X509TrustManager x) {
        return x;
      }
    }
    throw new GeneralSecurityException("no X.509 trust manager");
  }

  /** Trusts a server that any of its managers trusts. */
  private static final class EitherTrustManager implements X509TrustManager {
    private final List<X509TrustManager> managers;

    EitherTrustManager(List<TrustManager> managers) {
      this.managers = managers.stream().map(m -> (X509TrustManager) m).toList();
    }

    @Override
    public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType)
        throws java.security.cert.CertificateException {
      java.security.cert.CertificateException last = null;
      for (X509TrustManager m : managers) {
        try {
          m.checkServerTrusted(chain, authType);
          return;
        } catch (java.security.cert.CertificateException e) {
          last = e;
        }
      }
      throw last;
    }

    @Override
    public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType)
        throws java.security.cert.CertificateException {
      managers.get(0).checkClientTrusted(chain, authType);
    }

    @Override
    public java.security.cert.X509Certificate[] getAcceptedIssuers() {
      return managers.stream()
          .flatMap(m -> java.util.Arrays.stream(m.getAcceptedIssuers()))
          .toArray(java.security.cert.X509Certificate[]::new);
    }
  }
}
