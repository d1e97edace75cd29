using System.CommandLine;
using Herald.Cli.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Herald.Cli.Commands;

/// <summary>
/// <c>herald token</c>: prints a development JWT signed (ES256) with a local EC P-256 key, created when missing, that
/// <c>herald serve --auth bearer --jwt-key FILE</c> accepts. Claims: <c>sub</c>, optional <c>tenant</c> and <c>aud</c>,
/// <c>iat</c>/<c>nbf</c>/<c>exp</c>, issuer <c>herald</c>.
/// </summary>
internal static class TokenCommand
{
    public const string Issuer = "herald";

    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(1);

    public static Command Create()
    {
        var key = new Option<string>("--key")
        {
            Description = "The signing key: an EC P-256 private key in PEM, created (readable by you only) when the file does not exist. " +
                "Give the same file to herald serve --auth bearer --jwt-key.",
            HelpName = "FILE",
            Required = true,
        };
        var sub = new Option<string>("--sub")
        {
            Description = "The principal the token names (its sub claim): tasks belong to it.",
            HelpName = "PRINCIPAL",
            Required = true,
        };
        var tenant = new Option<string?>("--tenant") { Description = "The tenant claim, when the principal acts for a tenant.", HelpName = "TENANT" };
        var audience = new Option<string?>("--audience") { Description = "The aud claim (herald serve --jwt-audience checks it).", HelpName = "AUD" };
        var lifetime = new Option<string>("--lifetime")
        {
            Description = $"How long the token is valid: {DurationParser.Usage} [default: {DurationParser.Format(DefaultLifetime)}]",
            HelpName = "DURATION",
            DefaultValueFactory = _ => DurationParser.Format(DefaultLifetime),
        };
        var command = new Command("token", "Print a development JWT signed with a local key, for herald serve --auth bearer --jwt-key FILE and for --token.")
        {
            key, sub, tenant, audience, lifetime,
        };
        command.Validators.Add(result =>
        {
            var text = result.GetResult(lifetime)?.Tokens is { Count: > 0 } given ? given[^1].Value : null;
            if (text is not null && (!DurationParser.TryParse(text, out var span) || span <= TimeSpan.Zero))
            {
                result.AddError($"--lifetime '{text}' is not a positive duration: use {DurationParser.Usage}.");
            }

            if (result.GetResult(sub)?.Tokens is { Count: > 0 } subject && string.IsNullOrWhiteSpace(subject[^1].Value))
            {
                result.AddError("--sub needs a principal name.");
            }
        });
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            ECDsaSecurityKey signing;
            bool created;
            try
            {
                (signing, created) = JwtSigningKey.LoadOrCreate(parseResult.GetValue(key)!);
            }
            catch (InvalidDataException ex)
            {
                await error.WriteLineAsync($"herald token: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.Error;
            }

            if (created)
            {
                await error.WriteLineAsync($"herald token: created the signing key {Path.GetFullPath(parseResult.GetValue(key)!)}").ConfigureAwait(false);
            }

            if (signing.PrivateKeyStatus == PrivateKeyStatus.DoesNotExist)
            {
                await error.WriteLineAsync("herald token: the key file holds a public key only; signing needs the private key.").ConfigureAwait(false);
                return ExitCodes.Error;
            }

            var valid = DurationParser.TryParse(parseResult.GetValue(lifetime), out var given) ? given : DefaultLifetime;
            await output.WriteLineAsync(Create(signing, parseResult.GetValue(sub)!, parseResult.GetValue(tenant), parseResult.GetValue(audience), valid, TimeProvider.System))
                .ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>A signed token for <paramref name="subject"/>, valid from now for <paramref name="lifetime"/>.</summary>
    public static string Create(SecurityKey key, string subject, string? tenant, string? audience, TimeSpan lifetime, TimeProvider time)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var claims = new Dictionary<string, object>(StringComparer.Ordinal) { ["sub"] = subject };
        if (tenant is not null)
        {
            claims["tenant"] = tenant;
        }

        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(key, JwtSigningKey.Algorithm),
        });
    }
}
