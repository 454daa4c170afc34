using System.Text.Json.Serialization;

namespace Custos.Cli.Client;

/// <summary>
/// What <c>custos login</c> remembers (<c>profile.json</c>): the server and how to trust it, and the user. Never a
/// secret: the token lives in its own file.
/// </summary>
public sealed record Profile(
    string? Server,
    string? CaFile,
    string? Fingerprint,
    string? User,
    [property: JsonPropertyName("profile")] string Name = Profile.DefaultName)
{
    public const string DefaultName = "default";
}
