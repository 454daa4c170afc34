using System.Text.Json;

namespace Custos.Cli.Client;

/// <summary>
/// The client's state directory: <c>$CUSTOS_HOME</c>, else <c>~/.custos</c> (0700), holding <c>profile.json</c> and the
/// session token in its own file <c>token</c> (both 0600).
/// </summary>
public sealed class CustosHome(string root)
{
    public const string EnvironmentVariable = "CUSTOS_HOME";

    public string Root { get; } = Path.GetFullPath(root);

    public string ProfileFile => Path.Combine(Root, "profile.json");

    public string TokenFile => Path.Combine(Root, "token");

    /// <summary>The home named by the environment (an empty variable counts as unset).</summary>
    public static CustosHome FromEnvironment()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return new CustosHome(string.IsNullOrEmpty(configured)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".custos")
            : configured);
    }

    /// <summary>The saved profile, or null when none was saved yet.</summary>
    public Profile? LoadProfile()
    {
        if (!File.Exists(ProfileFile)) return null;
        try
        {
            return JsonSerializer.Deserialize<Profile>(File.ReadAllBytes(ProfileFile), ApiJson.Options);
        }
        catch (JsonException e)
        {
            throw new CliException(ExitCodes.IoError, $"{ProfileFile} is not a valid profile ({e.Message}); fix or delete it");
        }
    }

    public void SaveProfile(Profile profile)
    {
        SecureFiles.CreateDirectory(Root);
        SecureFiles.WriteAtomic(ProfileFile, JsonSerializer.SerializeToUtf8Bytes(profile, ApiJson.Indented));
    }

    /// <summary>The stored session token, or null when not logged in.</summary>
    public string? LoadToken()
    {
        if (!File.Exists(TokenFile)) return null;
        var token = File.ReadAllText(TokenFile).Trim();
        return token.Length == 0 ? null : token;
    }

    public void SaveToken(string token)
    {
        SecureFiles.CreateDirectory(Root);
        SecureFiles.WriteAtomic(TokenFile, token);
    }

    /// <summary>Deletes the token file; false when there was none.</summary>
    public bool DeleteToken()
    {
        if (!File.Exists(TokenFile)) return false;
        File.Delete(TokenFile);
        return true;
    }
}
