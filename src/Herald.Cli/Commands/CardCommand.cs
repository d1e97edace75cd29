using System.CommandLine;
using System.Text.Json;
using Herald.Cli.Output;
using Herald.Client;
using Herald.Protocol;

namespace Herald.Cli.Commands;

/// <summary>
/// <c>herald card URL</c>: prints the agent card and the interface the client would use. A card with the
/// v0.3 fields (top-level <c>url</c>, <c>preferredTransport</c>, ...) is shown in both generations. With
/// <c>--verify</c>, the card must carry a signature (spec 8.4) that verifies, else the exit code is
/// <see cref="ExitCodes.CardNotVerified"/>.
/// </summary>
internal static class CardCommand
{
    public static Command Create()
    {
        var command = new Command("card", "Print the agent's card (URL/.well-known/agent-card.json) and the interface herald would use.");
        var verify = new Option<bool>("--verify")
        {
            Description = "Require a card signature (JWS over the RFC 8785 canonical card) that verifies, with the key its jku names when that " +
                $"is on the card's origin, or with the keys of --jwks. Exit code {ExitCodes.CardNotVerified} when it does not.",
        };
        var jwks = new Option<string?>("--jwks")
        {
            Description = "Verify with the keys of this JWK Set only (a file, or an http(s) URL), not with the card's jku. Implies --verify.",
            HelpName = "FILE|URL",
        };
        jwks.Validators.Add(result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (!IsHttpUrl(text) && !File.Exists(text))
            {
                result.AddError($"--jwks '{text}' is neither an http(s) URL nor a readable file.");
            }
        });
        command.Options.Add(verify);
        command.Options.Add(jwks);
        var options = new ClientOptions(command, streaming: false);
        options.SetAction(command, async (parseResult, run, client, cancellationToken) =>
        {
            var endpoint = await client.GetEndpointAsync(cancellationToken).ConfigureAwait(false);
            if (run.Settings.Json)
            {
                var line = endpoint.Card is { } card
                    ? JsonLines.Card(card, endpoint.V03Card)
                    : JsonLines.Value(new AgentCard { Name = "", Description = "", SupportedInterfaces = [endpoint.Interface] }, A2AJsonContext.Default.AgentCard);
                await run.Output.WriteLineAsync(line).ConfigureAwait(false);
                if (endpoint.CardSignature is { } verified)
                {
                    await run.Output.WriteLineAsync(SignatureLine(verified)).ConfigureAwait(false);
                }

                await run.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await TaskPrinter.WriteCardAsync(run.Output, endpoint).ConfigureAwait(false);
                if (endpoint.CardSignature is { } verified)
                {
                    var source = verified.JwksUrl is { } url ? $"key from {url}" : "key from --jwks";
                    await run.Output.WriteLineAsync($"  signature: verified ({verified.Algorithm}, kid {verified.KeyId}, {source})").ConfigureAwait(false);
                }
            }

            return ExitCodes.Success;
        }, (parseResult, settings) => Verification(parseResult.GetValue(verify), parseResult.GetValue(jwks)) is { } verification
            ? settings with { CardVerification = verification }
            : settings);
        return command;
    }

    private static CardSignatureVerification? Verification(bool verify, string? jwks) => (verify, jwks) switch
    {
        (false, null) => null,
        (_, null) => new CardSignatureVerification { RequireSignedCard = true },
        (_, { } url) when IsHttpUrl(url) => new CardSignatureVerification { RequireSignedCard = true, TrustSameOriginJku = false, TrustedJwksUrl = new Uri(url) },
        (_, { } file) => new CardSignatureVerification { RequireSignedCard = true, TrustSameOriginJku = false, TrustedJwks = File.ReadAllText(file) },
    };

    private static string SignatureLine(VerifiedCardSignature verified)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("cardSignature");
            writer.WriteBoolean("verified", true);
            writer.WriteString("alg", verified.Algorithm);
            writer.WriteString("kid", verified.KeyId);
            if (verified.JwksUrl is { } url)
            {
                writer.WriteString("jwks", url.AbsoluteUri);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static bool IsHttpUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";
}
