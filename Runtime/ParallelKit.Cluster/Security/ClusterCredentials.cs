using System;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ParallelKit.Cluster.Security;

/// <summary>
/// The certificates that admit a process to a cluster. Each process makes its own self-signed certificate with a
/// fresh key at start; an extension carries an HMAC of the certificate's public key under a key derived from the
/// cluster's secret and id. TLS proves the peer holds the private key; the HMAC proves whoever made the
/// certificate knew the secret. Nothing is written to disk and there is no CA to run.
/// </summary>
internal sealed class ClusterCredentials
{
    /// <summary>The extension carrying the HMAC (a UUID-based OID, 2.25.*, private to ParallelKit).</summary>
    internal const string BindingOid = "2.25.212338591530127794634128097351744106289";

    private readonly byte[] _bindingKey;

    public ClusterCredentials(string clusterId, string secret)
    {
        // The secret never goes into a certificate: only a key derived from it, and only as a MAC over a public key.
        _bindingKey = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"ParallelKit cluster certificate binding v1\0{clusterId}"));
        ClusterId = clusterId;
    }

    public string ClusterId { get; }

    /// <summary>Makes this process's certificate (ECDSA P-256, valid for a year around now).</summary>
    public X509Certificate2 CreateCertificate(string processName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN=parallelkit-{ClusterId}-{Sanitize(processName)}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false)); // server and client authentication
        request.CertificateExtensions.Add(new X509Extension(BindingOid, EncodeMac(Mac(request.PublicKey.ExportSubjectPublicKeyInfo())), critical: false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 ephemeral = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));

        // A certificate with an ephemeral key cannot always serve TLS; a round trip through PKCS#12 gives it a usable one.
        byte[] pfx = ephemeral.Export(X509ContentType.Pkcs12);
        try
        {
            return X509CertificateLoader.LoadPkcs12(pfx, password: null, X509KeyStorageFlags.Exportable);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pfx);
        }
    }

    /// <summary>Whether <paramref name="certificate"/> was made by a process that knows this cluster's secret.</summary>
    public bool IsBound(X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return false;
        }

        X509Extension? binding = certificate.Extensions[BindingOid];
        if (binding is null)
        {
            return false;
        }

        byte[] presented;
        try
        {
            presented = DecodeMac(binding.RawData);
        }
        catch (AsnContentException)
        {
            return false;
        }

        byte[] expected = Mac(certificate.PublicKey.ExportSubjectPublicKeyInfo());
        return CryptographicOperations.FixedTimeEquals(presented, expected);
    }

    private byte[] Mac(byte[] subjectPublicKeyInfo) => HMACSHA256.HashData(_bindingKey, subjectPublicKeyInfo);

    private static byte[] EncodeMac(byte[] mac)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteOctetString(mac);
        return writer.Encode();
    }

    private static byte[] DecodeMac(byte[] raw)
    {
        var reader = new AsnReader(raw, AsnEncodingRules.DER);
        byte[] mac = reader.ReadOctetString();
        reader.ThrowIfNotEmpty();
        return mac;
    }

    private static string Sanitize(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (char c in name)
        {
            text.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_');
        }

        return text.ToString();
    }
}
