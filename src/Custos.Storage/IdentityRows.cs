using System.Buffers;
using System.Text;
using System.Text.Json;
using Custos.Core.Identity;

namespace Custos.Storage;

/// <summary>
/// Conversions between identity records and their stored columns: enum names (refusing unknown ones, so a damaged or
/// newer row is never guessed at) and traits as JSON text of <c>{"key":["v1","v2"]}</c>.
/// </summary>
internal static class IdentityRows
{
    public static string WriteTraits(IReadOnlyDictionary<string, IReadOnlyList<string>> traits)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            // Keys in ordinal order: the same traits always store as the same text.
            foreach (var (key, values) in traits.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.WriteStartArray(key);
                foreach (var value in values) writer.WriteStringValue(value);
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static Dictionary<string, IReadOnlyList<string>> ReadTraits(string identityId, string json)
    {
        var traits = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(json);
            foreach (var property in document.RootElement.EnumerateObject())
                traits[property.Name] = [.. property.Value.EnumerateArray().Select(v => v.GetString() ?? throw new JsonException("null trait value"))];
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw Damaged(identityId, "traits", e.Message);
        }
        return traits;
    }

    public static IdentityKind ParseKind(string identityId, string name) =>
        IdentityNames.TryParseKind(name, out var kind) ? kind : throw Damaged(identityId, "kind", name);

    public static IdentityStatus ParseStatus(string identityId, string name) =>
        IdentityNames.TryParseStatus(name, out var status) ? status : throw Damaged(identityId, "status", name);

    public static SessionKind ParseSessionKind(string sessionId, string name) =>
        StoredNames.TryParseSessionKind(name, out var kind) ? kind
            : throw new StorageException(StorageFailure.Foreign, $"database: session {sessionId} has an unknown kind '{name}'");

    public static InvitationPurpose ParsePurpose(string invitationId, string name) =>
        StoredNames.TryParsePurpose(name, out var purpose) ? purpose
            : throw new StorageException(StorageFailure.Foreign, $"database: invitation {invitationId} has an unknown purpose '{name}'");

    private static StorageException Damaged(string identityId, string column, string problem) =>
        new(StorageFailure.Foreign, $"database: identity {identityId} has an unreadable {column} ({problem})");
}
