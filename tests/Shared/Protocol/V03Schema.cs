using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Herald.Testing;

/// <summary>
/// Validates JSON against one definition of the A2A v0.3 JSON schema (a copy in tests/Herald.Protocol.Tests/Schema, copied
/// next to each test assembly that links this file; such projects reference JsonSchema.Net).
/// </summary>
internal static class V03Schema
{
    private static readonly string SchemaText = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Schema", "a2a-v0.3.schema.json"));
    // Lazy: GetOrAdd may run the factory twice for one key under concurrency, and the schema library refuses to
    // register the same base URI twice.
    private static readonly ConcurrentDictionary<string, Lazy<JsonSchema>> Schemas = new(StringComparer.Ordinal);

    /// <summary>Fails with every error the schema reports when <paramref name="json"/> is not a valid <paramref name="definition"/>.</summary>
    public static void AssertValid(string definition, string json)
    {
        var schema = Schemas.GetOrAdd(definition, d => new Lazy<JsonSchema>(() => Build(d))).Value;
        using var document = JsonDocument.Parse(json);
        var results = schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!results.IsValid)
        {
            var errors = (results.Details ?? [])
                .Where(d => d.Errors is { Count: > 0 })
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Key} {e.Value}"));
            Assert.Fail($"Not a valid v0.3 {definition}:\n{string.Join("\n", errors.Take(20))}\n{json}");
        }
    }

    /// <summary>The whole schema document with <c>allOf: [{$ref: #/definitions/X}]</c> at its root, so references resolve inside it.</summary>
    private static JsonSchema Build(string definition)
    {
        var root = JsonNode.Parse(SchemaText)!.AsObject();
        if (!root["definitions"]!.AsObject().ContainsKey(definition))
        {
            throw new ArgumentException($"The v0.3 schema has no definition '{definition}'.", nameof(definition));
        }

        root["allOf"] = new JsonArray(new JsonObject { ["$ref"] = $"#/definitions/{definition}" });
        return JsonSchema.FromText(root.ToJsonString(), baseUri: new Uri($"https://herald.test/a2a-v0.3/{definition}"));
    }
}
