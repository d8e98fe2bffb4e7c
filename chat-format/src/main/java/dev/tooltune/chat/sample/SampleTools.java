package dev.tooltune.chat.sample;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ToolDefinition;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tools of the sample data: thirteen realistic functions with real JSON Schemas (required fields, enums,
 * patterns, formats, nested objects, arrays of objects, numeric bounds), grouped into four fixed tool sets so
 * that every sample example declares one of a few known sets.
 */
public final class SampleTools {

    public static final ToolDefinition SEND_EMAIL = tool("send_email", "Send an email on the user's behalf.", """
            {"type": "object", "properties": {
              "to": {"type": "array", "items": {"type": "string", "format": "email"}, "minItems": 1, "description": "Recipients."},
              "cc": {"type": "array", "items": {"type": "string", "format": "email"}},
              "subject": {"type": "string", "minLength": 1},
              "body": {"type": "string", "minLength": 1},
              "priority": {"type": "string", "enum": ["low", "normal", "high"]}},
             "required": ["to", "subject", "body"], "additionalProperties": false}""");

    public static final ToolDefinition SEARCH_BUSINESSES = tool("search_businesses",
            "Find local businesses such as cafes, shops or services near a place.", """
            {"type": "object", "properties": {
              "query": {"type": "string", "description": "What to look for, e.g. 'coffee shop'."},
              "location": {"type": "object", "properties": {
                "city": {"type": "string"},
                "country": {"type": "string", "pattern": "^[A-Z]{2}$", "description": "ISO 3166-1 alpha-2 code."}},
               "required": ["city"]},
              "open_now": {"type": "boolean"},
              "min_rating": {"type": "number", "minimum": 1, "maximum": 5},
              "max_results": {"type": "integer", "minimum": 1, "maximum": 20}},
             "required": ["query", "location"], "additionalProperties": false}""");

    public static final ToolDefinition CREATE_CALENDAR_EVENT = tool("create_calendar_event",
            "Create an event in the user's calendar.", """
            {"type": "object", "properties": {
              "title": {"type": "string", "minLength": 1},
              "start": {"type": "string", "format": "date-time", "description": "Local time, ISO 8601."},
              "end": {"type": "string", "format": "date-time"},
              "attendees": {"type": "array", "items": {"type": "object", "properties": {
                "email": {"type": "string", "format": "email"},
                "optional": {"type": "boolean"}}, "required": ["email"]}},
              "location": {"type": "string"},
              "reminder_minutes": {"type": "integer", "minimum": 0, "maximum": 10080}},
             "required": ["title", "start", "end"], "additionalProperties": false}""");

    public static final ToolDefinition LIST_CALENDAR_EVENTS = tool("list_calendar_events",
            "List the events in the user's calendar between two dates, inclusive.", """
            {"type": "object", "properties": {
              "date_from": {"type": "string", "format": "date"},
              "date_to": {"type": "string", "format": "date"},
              "calendar": {"type": "string", "enum": ["work", "personal", "all"]}},
             "required": ["date_from", "date_to"], "additionalProperties": false}""");

    public static final ToolDefinition GET_WEATHER = tool("get_weather",
            "Current weather and an optional daily forecast for a city.", """
            {"type": "object", "properties": {
              "city": {"type": "string", "description": "City name in English."},
              "country_code": {"type": "string", "pattern": "^[A-Z]{2}$"},
              "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
              "forecast_days": {"type": "integer", "minimum": 1, "maximum": 7}},
             "required": ["city"], "additionalProperties": false}""");

    public static final ToolDefinition CONVERT_CURRENCY = tool("convert_currency",
            "Convert an amount between currencies at today's rate.", """
            {"type": "object", "properties": {
              "amount": {"type": "number", "exclusiveMinimum": 0},
              "from": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 code."},
              "to": {"type": "string", "pattern": "^[A-Z]{3}$"}},
             "required": ["amount", "from", "to"], "additionalProperties": false}""");

    public static final ToolDefinition LOOKUP_CRM_CONTACT = tool("lookup_crm_contact",
            "Look up a contact in the CRM by name, email, phone or company.", """
            {"type": "object", "properties": {
              "query": {"type": "string", "minLength": 2},
              "field": {"type": "string", "enum": ["name", "email", "phone", "company"]},
              "include_deals": {"type": "boolean", "description": "Also return the contact's open deals."}},
             "required": ["query"], "additionalProperties": false}""");

    public static final ToolDefinition CREATE_SUPPORT_TICKET = tool("create_support_ticket",
            "Open a ticket in the customer support system.", """
            {"type": "object", "properties": {
              "subject": {"type": "string", "maxLength": 120},
              "description": {"type": "string"},
              "priority": {"type": "string", "enum": ["low", "medium", "high", "urgent"]},
              "customer_email": {"type": "string", "format": "email"},
              "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true}},
             "required": ["subject", "description", "priority"], "additionalProperties": false}""");

    public static final ToolDefinition SET_REMINDER = tool("set_reminder", "Remind the user of something at a time.", """
            {"type": "object", "properties": {
              "text": {"type": "string", "minLength": 1},
              "remind_at": {"type": "string", "format": "date-time"},
              "repeat": {"type": "string", "enum": ["none", "daily", "weekly", "monthly"]}},
             "required": ["text", "remind_at"], "additionalProperties": false}""");

    public static final ToolDefinition GET_DIRECTIONS = tool("get_directions",
            "Route, distance and travel time between two places.", """
            {"type": "object", "properties": {
              "origin": {"type": "string"},
              "destination": {"type": "string"},
              "mode": {"type": "string", "enum": ["driving", "walking", "transit", "bicycling"]}},
             "required": ["origin", "destination"], "additionalProperties": false}""");

    public static final ToolDefinition SEARCH_FLIGHTS = tool("search_flights", "Search flights between two airports.", """
            {"type": "object", "properties": {
              "origin": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "IATA airport or city code."},
              "destination": {"type": "string", "pattern": "^[A-Z]{3}$"},
              "departure_date": {"type": "string", "format": "date"},
              "return_date": {"type": "string", "format": "date"},
              "passengers": {"type": "object", "properties": {
                "adults": {"type": "integer", "minimum": 1, "maximum": 9},
                "children": {"type": "integer", "minimum": 0, "maximum": 8}}, "required": ["adults"]},
              "cabin": {"type": "string", "enum": ["economy", "premium_economy", "business", "first"]}},
             "required": ["origin", "destination", "departure_date"], "additionalProperties": false}""");

    public static final ToolDefinition TRANSLATE_TEXT = tool("translate_text", "Translate text into another language.", """
            {"type": "object", "properties": {
              "text": {"type": "string", "minLength": 1},
              "target_language": {"type": "string", "enum": ["en", "ru", "de", "fr", "es"]},
              "source_language": {"type": "string", "enum": ["en", "ru", "de", "fr", "es"]}},
             "required": ["text", "target_language"], "additionalProperties": false}""");

    public static final ToolDefinition CREATE_INVOICE = tool("create_invoice", "Create an invoice for a customer.", """
            {"type": "object", "properties": {
              "customer_id": {"type": "string", "pattern": "^CUST-[0-9]{4}$"},
              "items": {"type": "array", "minItems": 1, "items": {"type": "object", "properties": {
                "description": {"type": "string"},
                "quantity": {"type": "integer", "minimum": 1},
                "unit_price": {"type": "number", "minimum": 0}},
               "required": ["description", "quantity", "unit_price"], "additionalProperties": false}},
              "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
              "due_date": {"type": "string", "format": "date"}},
             "required": ["customer_id", "items", "currency"], "additionalProperties": false}""");

    public static final List<ToolDefinition> ALL = List.of(SEND_EMAIL, SEARCH_BUSINESSES, CREATE_CALENDAR_EVENT,
            LIST_CALENDAR_EVENTS, GET_WEATHER, CONVERT_CURRENCY, LOOKUP_CRM_CONTACT, CREATE_SUPPORT_TICKET,
            SET_REMINDER, GET_DIRECTIONS, SEARCH_FLIGHTS, TRANSLATE_TEXT, CREATE_INVOICE);

    /** The tool sets examples declare, by name; each example uses one of these lists unchanged. */
    public static final Map<String, List<ToolDefinition>> TOOL_SETS = toolSets();

    private SampleTools() {}

    private static Map<String, List<ToolDefinition>> toolSets() {
        Map<String, List<ToolDefinition>> sets = new LinkedHashMap<>();
        sets.put("office", List.of(SEND_EMAIL, CREATE_CALENDAR_EVENT, LIST_CALENDAR_EVENTS, SET_REMINDER,
                LOOKUP_CRM_CONTACT, TRANSLATE_TEXT));
        sets.put("travel", List.of(GET_WEATHER, SEARCH_FLIGHTS, GET_DIRECTIONS, CONVERT_CURRENCY, SEARCH_BUSINESSES,
                TRANSLATE_TEXT));
        sets.put("support", List.of(CREATE_SUPPORT_TICKET, LOOKUP_CRM_CONTACT, SEND_EMAIL, CREATE_INVOICE,
                CONVERT_CURRENCY));
        sets.put("all", ALL);
        return Collections.unmodifiableMap(sets);
    }

    private static ToolDefinition tool(String name, String description, String schema) {
        try {
            return ToolDefinition.function(name, description, ChatJson.MAPPER.readTree(schema));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("schema of " + name + " is not JSON", e);
        }
    }
}
