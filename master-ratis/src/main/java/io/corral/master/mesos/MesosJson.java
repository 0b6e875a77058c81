package io.corral.master.mesos;

import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;

/**
 * Protobuf messages in Mesos's own JSON style (what its {@code JSON::protobuf} writes and reads):
 * the .proto's snake_case field names, enum values by name, bytes in base64, 64-bit integers as
 * plain numbers, only the fields that are set. protobuf-java-util's JsonFormat differs on two of
 * these (camelCase names, 64-bit integers as strings), so it is not used.
 */
public final class MesosJson
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private MesosJson()
    {
    }

    /** {@code message} as Mesos writes it. */
    public static String print(final Message message)
    {
        try
        {
            return JSON.writeValueAsString(toJson(message));
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    public static ObjectNode toJson(final Message message)
    {
        final ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (final Map.Entry<FieldDescriptor, Object> e : message.getAllFields().entrySet())
        {
            final FieldDescriptor field = e.getKey();
            if (field.isRepeated())
            {
                final ArrayNode array = out.putArray(field.getName());
                for (final Object value : (List<?>)e.getValue())
                {
                    array.add(value(field, value));
                }
            }
            else
            {
                out.set(field.getName(), value(field, e.getValue()));
            }
        }
        return out;
    }

    private static JsonNode value(final FieldDescriptor field, final Object value)
    {
        final JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (field.getJavaType())
        {
            case MESSAGE -> toJson((Message)value);
            case ENUM -> f.textNode(((EnumValueDescriptor)value).getName());
            case BYTE_STRING -> f.textNode(Base64.getEncoder().encodeToString(((ByteString)value).toByteArray()));
            case STRING -> f.textNode((String)value);
            case BOOLEAN -> f.booleanNode((Boolean)value);
            case INT -> field.getType() == FieldDescriptor.Type.UINT32 || field.getType() == FieldDescriptor.Type.FIXED32 ?
                f.numberNode(Integer.toUnsignedLong((Integer)value)) : f.numberNode((Integer)value);
            case LONG -> field.getType() == FieldDescriptor.Type.UINT64 || field.getType() == FieldDescriptor.Type.FIXED64 ?
                f.numberNode(new java.math.BigInteger(Long.toUnsignedString((Long)value))) : f.numberNode((Long)value);
            case FLOAT -> f.numberNode((Float)value);
            case DOUBLE -> f.numberNode((Double)value);
        };
    }

    /** A message of {@code builder}'s type from Mesos-style JSON; unknown fields are ignored, as Mesos does. */
    public static <B extends Message.Builder> B parse(final String json, final B builder)
    {
        final JsonNode node;
        try
        {
            node = JSON.readTree(json);
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalArgumentException("not JSON: " + ex.getOriginalMessage());
        }
        if (node == null || !node.isObject())
        {
            throw new IllegalArgumentException("expected a JSON object");
        }
        merge(node, builder, "");
        return builder;
    }

    private static void merge(final JsonNode node, final Message.Builder builder, final String path)
    {
        final Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext())
        {
            final Map.Entry<String, JsonNode> e = fields.next();
            final FieldDescriptor field = builder.getDescriptorForType().findFieldByName(e.getKey());
            if (field == null || e.getValue().isNull())
            {
                continue;
            }
            final String where = path + e.getKey();
            if (field.isRepeated())
            {
                if (!e.getValue().isArray())
                {
                    throw new IllegalArgumentException("'" + where + "' must be an array");
                }
                for (final JsonNode item : e.getValue())
                {
                    builder.addRepeatedField(field, parseValue(field, item, builder, where + "[]"));
                }
            }
            else
            {
                builder.setField(field, parseValue(field, e.getValue(), builder, where));
            }
        }
    }

    private static Object parseValue(final FieldDescriptor field, final JsonNode value, final Message.Builder parent,
        final String where)
    {
        switch (field.getJavaType())
        {
            case MESSAGE ->
            {
                if (!value.isObject())
                {
                    throw new IllegalArgumentException("'" + where + "' must be an object");
                }
                final Message.Builder child = parent.newBuilderForField(field);
                merge(value, child, where + ".");
                return child.buildPartial();
            }
            case ENUM ->
            {
                final EnumValueDescriptor v = value.isTextual() ? field.getEnumType().findValueByName(value.asText()) :
                    value.isInt() ? field.getEnumType().findValueByNumber(value.asInt()) : null;
                if (v == null)
                {
                    throw new IllegalArgumentException("'" + where + "': unknown value " + value + " (one of " +
                        field.getEnumType().getValues().stream().map(EnumValueDescriptor::getName).toList() + ")");
                }
                return v;
            }
            case BYTE_STRING ->
            {
                try
                {
                    return ByteString.copyFrom(Base64.getDecoder().decode(text(value, where)));
                }
                catch (final IllegalArgumentException ex)
                {
                    throw new IllegalArgumentException("'" + where + "' must be base64");
                }
            }
            case STRING ->
            {
                return text(value, where);
            }
            case BOOLEAN ->
            {
                if (!value.isBoolean())
                {
                    throw new IllegalArgumentException("'" + where + "' must be true or false");
                }
                return value.asBoolean();
            }
            case INT ->
            {
                return (int)integer(value, where, Integer.MIN_VALUE, 0xFFFF_FFFFL);
            }
            case LONG ->
            {
                return integer(value, where, Long.MIN_VALUE, Long.MAX_VALUE);
            }
            case FLOAT ->
            {
                return (float)number(value, where);
            }
            default ->
            {
                return number(value, where);
            }
        }
    }

    private static String text(final JsonNode value, final String where)
    {
        if (!value.isTextual())
        {
            throw new IllegalArgumentException("'" + where + "' must be a string");
        }
        return value.asText();
    }

    private static double number(final JsonNode value, final String where)
    {
        if (value.isNumber())
        {
            return value.asDouble();
        }
        if (value.isTextual())
        {
            try
            {
                return Double.parseDouble(value.asText());
            }
            catch (final NumberFormatException ex)
            {
                // below
            }
        }
        throw new IllegalArgumentException("'" + where + "' must be a number");
    }

    private static long integer(final JsonNode value, final String where, final long min, final long max)
    {
        final long v;
        if (value.isIntegralNumber() && value.canConvertToLong())
        {
            v = value.asLong();
        }
        else if (value.isTextual() && value.asText().matches("-?[0-9]{1,19}"))
        {
            try
            {
                v = Long.parseLong(value.asText());
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("'" + where + "' is out of range");
            }
        }
        else
        {
            throw new IllegalArgumentException("'" + where + "' must be an integer");
        }
        if (v < min || v > max)
        {
            throw new IllegalArgumentException("'" + where + "' is out of range");
        }
        return v;
    }
}
