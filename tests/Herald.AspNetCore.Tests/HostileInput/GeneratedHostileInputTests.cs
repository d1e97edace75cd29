using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CsCheck;
using Herald.Protocol;

namespace Herald.AspNetCore.Tests.HostileInput;

/// <summary>
/// Property: whatever shape a request is bent into (truncated, bytes flipped, strings replaced by hostile
/// text, values by the wrong types, nesting piled up), the answer is a complete JSON-RPC response or SSE
/// stream with a client error, never an internal error, and the server stays sound. CsCheck generates new
/// cases on every run (the seed of a failure is printed, so it can be replayed).
/// </summary>
public sealed class GeneratedHostileInputTests
{
    private static readonly string[] Templates =
    [
        """{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"m1","role":"ROLE_USER","parts":[{"text":"hello"}],"metadata":{"k":"v"}},"configuration":{"historyLength":2}}}""",
        """{"jsonrpc":"2.0","id":"s","method":"SendStreamingMessage","params":{"message":{"messageId":"m2","role":"ROLE_USER","parts":[{"data":{"a":[1,"two",{"three":3}]}}]}}}""",
        """{"jsonrpc":"2.0","id":3,"method":"GetTask","params":{"id":"task-x","historyLength":1}}""",
        """{"jsonrpc":"2.0","id":4,"method":"ListTasks","params":{"pageSize":5,"contextId":"c","status":"TASK_STATE_WORKING"}}""",
        """{"jsonrpc":"2.0","id":5,"method":"CancelTask","params":{"id":"task-y"}}""",
        """{"jsonrpc":"2.0","id":6,"method":"SubscribeToTask","params":{"id":"task-z"}}""",
    ];

    /// <summary>Raw JSON fragments to splice in: invalid escapes, lone surrogates, control characters, huge values, wrong types.</summary>
    private static readonly string[] Hostile =
    [
        "\"\\ud800\"", "\"\\udfff\\ud800\"", "\"a\\uDBFFb\"", "\"\\u0000\\u001f\"", "\"\\uZZZZ\"", "\"\\\"", "\"" + new string('x', 20_000) + "\"",
        "99999999999999999999999", "-1", "1e400", "true", "null", "[]", "{}", "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]", "\"ROLE_AGENT\"",
        "\"TASK_STATE_BOGUS\"", "{\"text\":\"a\",\"data\":{}}", "\"\u00e9\u2603\ud83d\ude00\"",
    ];

    [Fact]
    public async Task MalformedRequests_AlwaysAClientErrorOrASuccess_NeverInternalOrHalfWritten()
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync("ok", ct).AsTask()));
        var failures = new List<string>();
        var cases = Gen.Select(Gen.Int[0, Templates.Length - 1], Gen.Int[0, 5], Gen.Int[0, int.MaxValue], Gen.Int[0, Hostile.Length - 1]);

        await cases.SampleAsync(async (template, mutation, position, hostile) =>
        {
            var body = Mutate(Encoding.UTF8.GetBytes(Templates[template]), mutation, position, Hostile[hostile]);
            var problem = await CheckAsync(server, body);
            if (problem is not null)
            {
                lock (failures)
                {
                    failures.Add($"{problem}\n  request: {Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 400)))}");
                }
            }
        }, iter: 400, threads: 1);

        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
        await HostileInputTests.AssertStillSoundAsync(server);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }

    private static byte[] Mutate(byte[] template, int mutation, int position, string hostile)
    {
        var at = position % template.Length;
        switch (mutation)
        {
            case 0: // truncated anywhere
                return template[..at];
            case 1: // one byte changed to anything, including bytes that are not UTF-8
                var flipped = (byte[])template.Clone();
                flipped[at] = (byte)(position >> 8);
                return flipped;
            case 2: // a string value replaced by a hostile fragment
            case 3:
                var text = Encoding.UTF8.GetString(template);
                var quotes = AllIndexesOf(text, "\":\"").ToList();
                if (quotes.Count == 0)
                {
                    return template;
                }

                var start = quotes[position % quotes.Count] + 2;
                var end = text.IndexOf('"', start + 1);
                return Encoding.UTF8.GetBytes(text[..start] + hostile + text[(end + 1)..]);
            case 4: // a hostile fragment inserted at a random place
                return [.. template[..at], .. Encoding.UTF8.GetBytes(hostile), .. template[at..]];
            default: // the whole params nested deeper and deeper
                var nested = Encoding.UTF8.GetString(template).Replace("\"params\":", "\"params\":" + string.Concat(Enumerable.Repeat("[", 60 + (position % 200))), StringComparison.Ordinal);
                return Encoding.UTF8.GetBytes(nested[..^1] + string.Concat(Enumerable.Repeat("]", 60 + (position % 200))) + "}");
        }
    }

    /// <summary>Null when the answer is acceptable, else what is wrong with it.</summary>
    private static async Task<string?> CheckAsync(HeraldTestServer server, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, server.RpcPath) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("A2A-Version", "1.0");
        using var response = await server.Client.SendAsync(request).Within();
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.RequestEntityTooLarge))
        {
            return $"HTTP {(int)response.StatusCode}: {text}";
        }

        if (text.Contains("   at ", StringComparison.Ordinal) || text.Contains("Exception", StringComparison.Ordinal))
        {
            return "internals leaked: " + text;
        }

        var documents = new List<string>();
        if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            documents.AddRange(text.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => l[6..]));
        }
        else
        {
            documents.Add(text);
        }

        foreach (var json in documents)
        {
            try
            {
                using var document = JsonDocument.Parse(json);
                if (document.RootElement.TryGetProperty("error", out var error) && error.GetProperty("code").GetInt32() == A2AErrorCodes.InternalError)
                {
                    return "internal error for a client's mistake: " + json;
                }
            }
            catch (JsonException)
            {
                return "not valid JSON (half-written?): " + json;
            }
        }

        return documents.Count == 0 ? "an empty answer" : null;
    }

    private static IEnumerable<int> AllIndexesOf(string text, string value)
    {
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + 1, StringComparison.Ordinal))
        {
            yield return i;
        }
    }
}
