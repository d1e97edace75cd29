using System.CommandLine;
using System.CommandLine.Parsing;
using Herald.Client;

namespace Herald.Cli.Commands;

/// <summary>The URL argument and the options every client verb shares; one instance per command.</summary>
internal sealed class ClientOptions
{
    public Argument<Uri> Url { get; } = new("URL")
    {
        Description = "The agent's base URL, e.g. http://127.0.0.1:5077 (its card is read from URL/.well-known/agent-card.json).",
        CustomParser = ParseUrl,
    };

    public Option<string[]> Headers { get; } = new("--header", "-H")
    {
        Description = "A header added to every request, e.g. -H \"Authorization: Bearer TOKEN\". Repeatable.",
        HelpName = "Name: value",
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>The environment variable read for a bearer token when <c>--token</c> is not given.</summary>
    public const string TokenVariable = "HERALD_TOKEN";

    public Option<string?> Token { get; } = new("--token")
    {
        Description = $"A bearer token sent as 'Authorization: Bearer TOKEN' with every request (e.g. from herald token). Default: the {TokenVariable} environment variable.",
        HelpName = "TOKEN",
    };

    public Option<string?> ApiKey { get; } = new("--api-key")
    {
        Description = "An API key sent in the X-API-Key header with every request (herald serve --api-key-file).",
        HelpName = "KEY",
    };

    public Option<string?> ProtocolVersion { get; } = new("--a2a-version")
    {
        Description = "Pin the A2A protocol version (1.0 or 0.3); fails instead of falling back when the agent does not offer it over a binding herald speaks.",
        HelpName = "VERSION",
    };

    public Option<string?> Binding { get; } = new("--binding")
    {
        Description = "Pin the protocol binding: jsonrpc, rest (HTTP+JSON) or grpc; fails instead of falling back when the agent's card does not offer it. Default: the card's first interface that herald speaks.",
        HelpName = "jsonrpc|rest|grpc",
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print one JSON line per stream event (or one line with the result) for scripts.",
    };

    public Option<bool> Verbose { get; } = new("--verbose")
    {
        Description = "Show stack traces with errors.",
    };

    public Option<bool> NoResume { get; } = new("--no-resume")
    {
        Description = "Do not reconnect a stream that drops; fail instead.",
    };

    private readonly bool _streaming;

    /// <summary>Adds the URL argument first, then the shared options, to <paramref name="command"/>.</summary>
    public ClientOptions(Command command, bool streaming)
    {
        _streaming = streaming;
        Headers.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                if (ParseHeader(token.Value) is null)
                {
                    result.AddError($"Invalid header '{token.Value}': expected \"Name: value\".");
                }
            }
        });
        Binding.AcceptOnlyFromAmong("jsonrpc", "rest", "grpc");
        Token.Validators.Add(result =>
        {
            if (result.Tokens is { Count: > 0 } given && string.IsNullOrWhiteSpace(given[^1].Value))
            {
                result.AddError("--token needs a token.");
            }
        });
        ApiKey.Validators.Add(result =>
        {
            if (result.Tokens is { Count: > 0 } given && string.IsNullOrWhiteSpace(given[^1].Value))
            {
                result.AddError("--api-key needs a key.");
            }
        });
        command.Arguments.Insert(0, Url);
        command.Options.Add(Headers);
        command.Options.Add(Token);
        command.Options.Add(ApiKey);
        command.Options.Add(ProtocolVersion);
        command.Options.Add(Binding);
        command.Options.Add(Json);
        command.Options.Add(Verbose);
        if (streaming)
        {
            command.Options.Add(NoResume);
        }
    }

    /// <summary>Runs <paramref name="body"/> with a client for the parsed settings, mapping errors to exit codes.</summary>
    /// <param name="command">The verb.</param>
    /// <param name="body">What the verb does with the client.</param>
    /// <param name="adjust">Settings only this verb has (e.g. <c>card --verify</c>).</param>
    /// <param name="name">How errors name the verb (<c>push list</c>); the command's name by default.</param>
    public void SetAction(Command command, Func<ParseResult, ClientRun, IA2AClient, CancellationToken, Task<int>> body, Func<ParseResult, ClientSettings, ClientSettings>? adjust = null, string? name = null) =>
        command.SetAction((parseResult, cancellationToken) =>
        {
            var invocation = parseResult.InvocationConfiguration;
            var settings = Read(parseResult);
            return ClientRun.RunAsync(name ?? command.Name, adjust is null ? settings : adjust(parseResult, settings), invocation.Output, invocation.Error,
                (run, client, token) => body(parseResult, run, client, token), cancellationToken);
        });

    public ClientSettings Read(ParseResult parseResult) => new(
        parseResult.GetValue(Url)!,
        Credentials([.. (parseResult.GetValue(Headers) ?? []).Select(h => ParseHeader(h)!.Value)], parseResult.GetValue(Token), parseResult.GetValue(ApiKey),
            Environment.GetEnvironmentVariable(TokenVariable)),
        parseResult.GetValue(ProtocolVersion),
        parseResult.GetValue(Binding),
        parseResult.GetValue(Json),
        parseResult.GetValue(Verbose),
        !_streaming || !parseResult.GetValue(NoResume));

    /// <summary>
    /// The headers with the credentials added: <c>--token</c> (else <c>HERALD_TOKEN</c>, unless an <c>Authorization</c>
    /// header was given with -H) as a bearer token, <c>--api-key</c> as <c>X-API-Key</c>.
    /// </summary>
    internal static List<KeyValuePair<string, string>> Credentials(List<KeyValuePair<string, string>> headers, string? token, string? apiKey, string? environmentToken)
    {
        var explicitAuthorization = headers.Any(h => string.Equals(h.Key, "Authorization", StringComparison.OrdinalIgnoreCase));
        token ??= explicitAuthorization || string.IsNullOrWhiteSpace(environmentToken) ? null : environmentToken;
        if (token is not null)
        {
            headers.Add(new("Authorization", "Bearer " + token.Trim()));
        }

        if (apiKey is not null)
        {
            headers.Add(new("X-API-Key", apiKey.Trim()));
        }

        return headers;
    }

    internal static KeyValuePair<string, string>? ParseHeader(string header)
    {
        var colon = header.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return null;
        }

        var name = header[..colon].Trim();
        return name.Length == 0 || name.Any(char.IsWhiteSpace) ? null : new(name, header[(colon + 1)..].Trim());
    }

    private static Uri? ParseUrl(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (Uri.TryCreate(text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps))
        {
            return url;
        }

        result.AddError($"'{text}' is not an http:// or https:// URL.");
        return null;
    }
}
