using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Herald.Cli.Hosting;

/// <summary>
/// The local signing key of <c>herald token</c> and <c>herald serve --auth bearer --jwt-key</c>: an EC P-256 key in PEM
/// (<c>BEGIN PRIVATE KEY</c> (PKCS#8) or <c>BEGIN EC PRIVATE KEY</c>; the server also takes the public half alone,
/// <c>BEGIN PUBLIC KEY</c>). Tokens are signed ES256; the key id is derived from the public key, so both sides agree.
/// </summary>
internal static class JwtSigningKey
{
    public const string Algorithm = SecurityAlgorithms.EcdsaSha256;

    /// <summary>Reads the key; the message of the <see cref="InvalidDataException"/> is for the user.</summary>
    public static ECDsaSecurityKey Load(string path)
    {
        string pem;
        try
        {
            pem = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InvalidDataException($"cannot read the JWT key '{path}': {ex.Message}", ex);
        }

        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportFromPem(pem);
        }
        catch (ArgumentException ex)
        {
            ecdsa.Dispose();
            throw new InvalidDataException($"the JWT key '{path}' is not an EC key in PEM (expected an EC P-256 key: BEGIN PRIVATE KEY, BEGIN EC PRIVATE KEY or BEGIN PUBLIC KEY; herald token --key creates one).", ex);
        }

        if (ecdsa.KeySize != 256)
        {
            ecdsa.Dispose();
            throw new InvalidDataException($"the JWT key '{path}' is an EC key of {ecdsa.KeySize} bits; expected P-256 (ES256).");
        }

        return new ECDsaSecurityKey(ecdsa) { KeyId = KeyId(ecdsa) };
    }

    /// <summary>Loads the key, or creates a new one (readable by its owner only) when the file does not exist.</summary>
    public static (ECDsaSecurityKey Key, bool Created) LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            return (Load(path), false);
        }

        using (var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            try
            {
                using var writer = new StreamWriter(path, options);
                writer.Write(ecdsa.ExportPkcs8PrivateKeyPem());
                writer.Write('\n');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw new InvalidDataException($"cannot create the JWT key '{path}': {ex.Message}", ex);
            }
        }

        return (Load(path), true);
    }

    private static string KeyId(ECDsa ecdsa) =>
        Base64UrlEncoder.Encode(SHA256.HashData(ecdsa.ExportSubjectPublicKeyInfo()).AsSpan(0, 12).ToArray());
}
