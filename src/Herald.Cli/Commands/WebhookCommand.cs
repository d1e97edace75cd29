using System.CommandLine;
using Herald.Cli.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Herald.Cli.Commands;

/// <summary>
/// <c>herald webhook</c>: a push notification receiver for trying push locally. Listens on 127.0.0.1 by default, prints
/// a line per delivery (or a JSON line with <c>--json</c>), drops duplicates by (task id, sequence) and says so, and with
/// <c>--jwks</c> verifies each delivery's signature, answering 401 to one that does not verify.
/// </summary>
internal static class WebhookCommand
{
    public const string DefaultUrls = "http://127.0.0.1:5079";

    public static Command Create()
    {
        var urls = new Option<string>("--urls")
        {
            Description = $"Where to listen [default: {DefaultUrls}]; any path accepts POSTs.",
            HelpName = "URL",
            DefaultValueFactory = _ => DefaultUrls,
        };
        var json = new Option<bool>("--json")
        {
            Description = "Print one JSON line per delivery: taskId, sequence, kind, duplicate, signature and the StreamResponse as received.",
        };
        var jwks = new Option<string?>("--jwks")
        {
            Description = "Verify each delivery's Herald-Push-Signature JWT with this JWK Set (an http(s) URL such as the server's " +
                "/.well-known/jwks.json, or a file); deliveries that do not verify are answered 401.",
            HelpName = "URL|FILE",
        };
        jwks.Validators.Add(result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (!JwksSource.IsUrl(text) && !File.Exists(text))
            {
                result.AddError($"--jwks '{text}' is neither an http(s) URL nor a readable file.");
            }
        });
        var command = new Command("webhook",
            "Receive push notifications: a webhook that prints each delivery (task id, event sequence, kind, state or artifact text), " +
            "answers 200, drops duplicates by (task id, sequence), and verifies signatures with --jwks. Prints 'Herald webhook listening on " +
            "<address>' once ready; Ctrl+C stops it.")
        {
            urls,
            json,
            jwks,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var invocation = parseResult.InvocationConfiguration;
            return RunAsync(parseResult.GetValue(urls) ?? DefaultUrls, parseResult.GetValue(json), parseResult.GetValue(jwks), invocation.Output, invocation.Error, cancellationToken);
        });
        return command;
    }

    public static async Task<int> RunAsync(string urls, bool json, string? jwksLocation, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        using var jwks = jwksLocation is null ? null : new JwksSource(jwksLocation);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(o => o.Limits.MaxRequestBodySize = WebhookReceiver.MaxBodyBytes);
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        using var receiver = new WebhookReceiver(output, json, jwks, TimeProvider.System);
        app.Run(receiver.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await error.WriteLineAsync($"herald webhook: cannot listen on {urls}: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Error;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var verifying = jwks is null ? "" : " (verifying signatures)";
        await output.WriteLineAsync($"Herald webhook listening on {string.Join(", ", addresses)}{verifying}").ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
