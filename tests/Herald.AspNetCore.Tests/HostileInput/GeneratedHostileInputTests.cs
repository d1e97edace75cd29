using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CsCheck;
using Herald.Protocol;

namespace Herald.AspNetCore.Tests.HostileInput;

/// <summary>
/// Property: whatever shape a request is bent into (truncated, bytes flipped, strings replaced by hostile
/// text, values by the wrong types, nesting piled up), the answer is a complete response or SSE stream of the
/// binding (JSON-RPC, or HTTP+JSON/REST with its bodies and query parameters bent) with a client error, never an
/// internal error, and the server stays sound. CsCheck generates new cases on every run (the seed of a failure is
/// printed, so it can be replayed).
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

    /// <summary>REST requests: method, path under the pattern, body (bent like a JSON-RPC body) or, for GET, the query (bent).</summary>
    private static readonly (string Method, string Path, string Body)[] RestTemplates =
    [
        ("POST", "/message:send", """{"message":{"messageId":"m1","role":"ROLE_USER","parts":[{"text":"hello"}],"metadata":{"k":"v"}},"configuration":{"historyLength":2}}"""),
        ("POST", "/message:stream", """{"message":{"messageId":"m2","role":"ROLE_USER","parts":[{"data":{"a":[1,"two",{"three":3}]}}]}}"""),
        ("POST", "/tasks/task-y:cancel", """{"id":"task-y","metadata":{"reason":"user","n":[1,2]}}"""),
        ("POST", "/tasks/task-z:subscribe", """{"id":"task-z","tenant":"t"}"""),
        ("POST", "/tasks/task-w/pushNotificationConfigs", """{"url":"https://example.com/hook","token":"t","authentication":{"scheme":"Bearer"}}"""),
        ("GET", "/tasks/task-x", "historyLength=1"),
        ("GET", "/tasks", "pageSize=5&contextId=c&status=TASK_STATE_WORKING&includeArtifacts=true&statusTimestampAfter=2025-11-09T10%3A30%3A00Z"),
    ];

    /// <summary>Raw JSON fragments to splice in: invalid escapes, lone surrogates, control characters, huge values, wrong types.</summary>
    private static readonly string[] Hostile =
    [
        "\"\\ud800\"", "\"\\udfff\\ud800\"", "\"a\\uDBFFb\"", "\"\\u0000\\u001f\"", "\"\\uZZZZ\"", "\"\\\"", "\"" + new string('x', 20_000) + "\"",
        "99999999999999999999999", "-1", "1e400", "true", "null", "[]", "{}", "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]", "\"ROLE_AGENT\"",
        "\"TASK_STATE_BOGUS\"", "{\"text\":\"a\",\"data\":{}}", "\"\u00e9\u2603\ud83d\ude00\"",
    ];

    [Theory]
    [InlineData("JSON-RPC")]
    [InlineData("REST")]
    public async Task MalformedRequests_AlwaysAClientErrorOrASuccess_NeverInternalOrHalfWritten(string binding)
    {
        await using var server = await HeraldTestServer.StartAsync(h => h.AddAgent((c, ct) => c.CompleteAsync("ok", ct).AsTask()));
        var rest = binding == "REST";
        var failures = new List<string>();
        var cases = Gen.Select(Gen.Int[0, (rest ? RestTemplates.Length : Templates.Length) - 1], Gen.Int[0, 5], Gen.Int[0, int.MaxValue], Gen.Int[0, Hostile.Length - 1]);

        await cases.SampleAsync(async (template, mutation, position, hostile) =>
        {
            string? problem;
            string sent;
            if (rest)
            {
                var (method, path, body) = RestTemplates[template];
                using var request = method == "GET"
                    ? new HttpRequestMessage(HttpMethod.Get, path + "?" + MutateQuery(body, mutation, position, Hostile[hostile]))
                    : Post(path, Mutate(Encoding.UTF8.GetBytes(body), mutation, position, Hostile[hostile]), RestWire.A2AJson);
                sent = $"{request.Method} {request.RequestUri} {(request.Content is null ? "" : await request.Content.ReadAsStringAsync())}";
                problem = await CheckRestAsync(server, request);
            }
            else
            {
                var body = Mutate(Encoding.UTF8.GetBytes(Templates[template]), mutation, position, Hostile[hostile]);
                sent = Encoding.UTF8.GetString(body);
                using var request = Post(server.RpcPath, body, "application/json");
                problem = await CheckAsync(server, request);
            }

            if (problem is not null)
            {
                lock (failures)
                {
                    failures.Add($"{problem}\n  request: {(sent.Length <= 400 ? sent : sent[..400])}");
                }
            }
        }, iter: 400, threads: 1);

        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
        await HostileInputTests.AssertStillSoundAsync(server);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }

    private static HttpRequestMessage Post(string path, byte[] body, string contentType)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        request.Headers.TryAddWithoutValidation("A2A-Version", "1.0");
        return request;
    }

    /// <summary>A query string bent: cut short, a value replaced or extended by hostile text (escaped or raw), a parameter repeated, bytes that are not UTF-8.</summary>
    private static string MutateQuery(string query, int mutation, int position, string hostile)
    {
        var parameters = query.Split('&');
        var at = position % parameters.Length;
        var name = parameters[at][..parameters[at].IndexOf('=', StringComparison.Ordinal)];
        switch (mutation)
        {
            case 0:
                return query[..(position % query.Length)];
            case 1:
                parameters[at] = name + "=" + Uri.EscapeDataString(hostile);
                break;
            case 2:
                parameters[at] = name + "=" + hostile.Replace("&", "", StringComparison.Ordinal).Replace("#", "", StringComparison.Ordinal);
                break;
            case 3:
                return query + "&" + parameters[at];
            case 4:
                parameters[at] += Uri.EscapeDataString(hostile);
                break;
            default:
                parameters[at] = name + "=%" + ((position >> 8) & 0xFF).ToString("X2", System.Globalization.CultureInfo.InvariantCulture) + "%ED%A0%80";
                break;
        }

        return string.Join("&", parameters);
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
            default: // the whole params nested deeper and deeper (a REST body, having no params, gets a deep first member)
                var depth = 60 + (position % 200);
                var source = Encoding.UTF8.GetString(template);
                if (!source.Contains("\"params\":", StringComparison.Ordinal))
                {
                    return Encoding.UTF8.GetBytes("{\"metadata\":" + new string('[', depth) + "1" + new string(']', depth) + "," + source[1..]);
                }

                var nested = source.Replace("\"params\":", "\"params\":" + new string('[', depth), StringComparison.Ordinal);
                return Encoding.UTF8.GetBytes(nested[..^1] + new string(']', depth) + "}");
        }
    }

    /// <summary>Null when the answer is acceptable, else what is wrong with it.</summary>
    private static async Task<string?> CheckAsync(HeraldTestServer server, HttpRequestMessage request)
    {
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

    /// <summary>Null when the REST answer is acceptable: a result or stream, or a client error in a google.rpc.Status body; never a 5xx.</summary>
    private static async Task<string?> CheckRestAsync(HeraldTestServer server, HttpRequestMessage request)
    {
        using var response = await server.Client.SendAsync(request).Within();
        var text = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        if (status == 414)
        {
            return null; // a query past Kestrel's request-line limit: refused before it reaches any endpoint
        }

        if (status is not (200 or 400 or 404 or 413 or 415))
        {
            return $"HTTP {status}: {text}";
        }

        if (text.Contains("   at ", StringComparison.Ordinal) || text.Contains("Exception", StringComparison.Ordinal))
        {
            return "internals leaked: " + text;
        }

        var stream = response.Content.Headers.ContentType?.MediaType == "text/event-stream";
        if (!stream && response.Content.Headers.ContentType?.MediaType != RestWire.A2AJson)
        {
            return $"HTTP {status} as {response.Content.Headers.ContentType}: {text}";
        }

        var documents = stream
            ? text.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => l[6..]).ToList()
            : [text];
        foreach (var json in documents)
        {
            try
            {
                using var document = JsonDocument.Parse(json);
                if (document.RootElement.TryGetProperty("error", out var error)
                    && (error.GetProperty("code").GetInt32() >= 500 || error.GetProperty("status").GetString() == "INTERNAL"))
                {
                    return "internal error for a client's mistake: " + json;
                }

                if (!stream && status >= 400 && !document.RootElement.TryGetProperty("error", out _))
                {
                    return $"HTTP {status} without a google.rpc.Status body: {json}";
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
