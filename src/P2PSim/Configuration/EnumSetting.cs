using System.ComponentModel;
using System.Globalization;

namespace P2PSim.Configuration;

/// <summary>How settings write the values of an enum: by name, in lower case (<c>seedcrash</c> for <c>SeedCrash</c>).</summary>
public static class EnumSetting
{
    public static string Name<TEnum>(TEnum value)
        where TEnum : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>Every name, for messages: <c>tcp or simulated</c>.</summary>
    public static string Choices<TEnum>()
        where TEnum : struct, Enum
    {
        var names = Enum.GetValues<TEnum>().Select(Name).ToArray();
        return names.Length == 1 ? names[0] : $"{string.Join(", ", names[..^1])} or {names[^1]}";
    }
}

/// <summary>
/// Binds an enum setting from one of its names, in any case (<c>simulated</c>, <c>Simulated</c>), and from nothing else:
/// not from a number, not from a list of names. A value that is no name fails the binding, and the message says which
/// names there are (the configuration binder's own message names the setting and the value). Put it on the enum with
/// <c>[TypeConverter(typeof(EnumSettingConverter&lt;T&gt;))]</c>.
/// </summary>
public sealed class EnumSettingConverter<TEnum> : TypeConverter
    where TEnum : struct, Enum
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) =>
        sourceType == typeof(string) || base.CanConvertFrom(context, sourceType);

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value)
    {
        if (value is not string text)
        {
            return base.ConvertFrom(context, culture, value);
        }
        foreach (var candidate in Enum.GetValues<TEnum>())
        {
            if (string.Equals(candidate.ToString(), text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return candidate;
            }
        }
        throw new FormatException($"Use {EnumSetting.Choices<TEnum>()}.");
    }
}
