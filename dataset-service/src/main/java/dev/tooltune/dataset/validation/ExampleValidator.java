package dev.tooltune.dataset.validation;

import dev.tooltune.chat.schema.ToolSchemas;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.ValidationMessage;
import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.importing.ImportProblem;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks one canonical example (see {@code ChatNormalizer}) against the rules of the OpenAI chat fine-tuning
 * format and of its own tools, and says what is wrong and where, as JSON paths into the example:
 * <ul>
 *   <li>shape and types of every field, roles and their order (optional system first, then user, then the
 *       assistant's replies, tool results only right after the calls they answer, ending with the assistant);</li>
 *   <li>tools: names matching {@code ^[a-zA-Z0-9_-]{1,64}$}, declared once, parameters a valid JSON Schema;</li>
 *   <li>calls: unique ids, naming a declared tool, {@code arguments} a JSON object string valid against that
 *       tool's schema; every tool message answers an earlier, not yet answered call id;</li>
 *   <li>size limits.</li>
 * </ul>
 * Warnings (the example stays valid) name call arguments the tool's schema does not declare, and the schema type
 * names rewritten under {@link LineRules#normalizeSchemaTypes()}; {@link LineRules} can make the first errors. With
 * type normalisation on, the tool schemas of the example are rewritten in place. Thread-safe; meant to be shared.
 */
public final class ExampleValidator {
    public static final Pattern TOOL_NAME = Pattern.compile("^[a-zA-Z0-9_-]{1,64}$");
    private static final Set<String> ROLES = Set.of(ChatMessage.SYSTEM, ChatMessage.USER, ChatMessage.ASSISTANT, ChatMessage.TOOL);

    private final ValidationLimits limits;
    private final ToolSchemas schemas;

    public ExampleValidator(ValidationLimits limits, ToolSchemas schemas) {
        this.limits = limits;
        this.schemas = schemas;
    }

    public ValidationLimits limits() {
        return limits;
    }

    /** What validation found: errors (none when the example is valid) and warnings. */
    public record Findings(List<ImportProblem> errors, List<ImportProblem> warnings) {}

    /** The errors of the example under the default rules; empty when it is valid. */
    public List<ImportProblem> validate(JsonNode example) {
        return check(example, LineRules.DEFAULTS).errors();
    }

    public Findings check(JsonNode example, LineRules rules) {
        Run run = new Run(rules);
        validate(example, run);
        return new Findings(run.problems, run.warnings);
    }

    private void validate(JsonNode example, Run run) {
        if (!example.isObject()) {
            run.problem("$", "an example must be a JSON object");
            return;
        }
        Map<String, Tool> tools = checkTools(example.get("tools"), run);
        JsonNode parallel = example.get("parallel_tool_calls");
        if (parallel != null && !parallel.isBoolean()) {
            run.problem("$.parallel_tool_calls", "parallel_tool_calls must be true or false");
        }
        boolean singleCallOnly = parallel != null && parallel.isBoolean() && !parallel.booleanValue();
        checkMessages(example.get("messages"), tools, singleCallOnly, run);
    }

    private record Tool(String path, JsonNode parameters, ToolSchemas.Compiled schema) {}

    private record PendingCall(String id, String name, String path) {}

    private static final class Run {
        final LineRules rules;
        final List<ImportProblem> problems = new ArrayList<>();
        final List<ImportProblem> warnings = new ArrayList<>();

        Run(LineRules rules) {
            this.rules = rules;
        }

        void problem(String path, String reason) {
            problems.add(new ImportProblem(path, reason));
        }

        void warning(String path, String reason) {
            warnings.add(new ImportProblem(path, reason));
        }
    }

    private Map<String, Tool> checkTools(JsonNode tools, Run run) {
        Map<String, Tool> declared = new LinkedHashMap<>();
        if (tools == null || tools.isNull()) {
            return declared;
        }
        if (!tools.isArray()) {
            run.problem("$.tools", "tools must be a list");
            return declared;
        }
        if (tools.size() > limits.maxTools()) {
            run.problem("$.tools", "declares " + tools.size() + " tools; the limit is " + limits.maxTools());
        }
        for (int i = 0; i < tools.size(); i++) {
            String path = "$.tools[" + i + "]";
            JsonNode tool = tools.get(i);
            if (!tool.isObject()) {
                run.problem(path, "a tool must be an object {type: \"function\", function: {name, description, parameters}}");
                continue;
            }
            if (!"function".equals(tool.path("type").asText(null))) {
                run.problem(path + ".type", "the only tool type is \"function\", found " + tool.get("type"));
            }
            JsonNode function = tool.get("function");
            if (function == null || !function.isObject()) {
                run.problem(path + ".function", "a tool needs a \"function\" object with its name and parameters");
                continue;
            }
            JsonNode name = function.get("name");
            if (name == null || !name.isTextual()) {
                run.problem(path + ".function.name", "a tool needs a name");
                continue;
            }
            if (!TOOL_NAME.matcher(name.asText()).matches()) {
                run.problem(path + ".function.name", "tool name \"" + abbreviate(name.asText()) + "\" must be 1 to 64 letters, digits, _ or -");
            }
            JsonNode description = function.get("description");
            if (description != null && !description.isNull() && !description.isTextual()) {
                run.problem(path + ".function.description", "description must be text");
            }
            ToolSchemas.Compiled schema = null;
            JsonNode parameters = function.get("parameters");
            if (parameters != null && parameters.isObject() && !standardTypes((ObjectNode) parameters, path + ".function.parameters", run)) {
                parameters = null; // its types are reported; compiling it would only repeat them in the library's words
            }
            if (parameters != null && !parameters.isNull()) {
                if (!parameters.isObject()) {
                    run.problem(path + ".function.parameters", "parameters must be a JSON Schema object");
                } else if (parameters.has("type") && !"object".equals(parameters.get("type").asText(null))) {
                    run.problem(path + ".function.parameters.type", "the parameters schema must describe an object (type \"object\"), found " + parameters.get("type"));
                } else {
                    schema = schemas.compile(parameters);
                    if (schema.problem() != null) {
                        run.problem(path + ".function.parameters", schema.problem());
                    }
                }
            }
            Tool previous = declared.putIfAbsent(name.asText(), new Tool(path, parameters, schema));
            if (previous != null) {
                run.problem(path + ".function.name", "tool \"" + name.asText() + "\" is declared twice (also at " + previous.path() + ")");
            }
        }
        return declared;
    }

    /**
     * Finds type names that are not JSON Schema's. With normalisation on, rewrites the mappable ones in place and
     * warns; every other one is an error naming the type and where it is. False when an error was reported.
     */
    private static boolean standardTypes(ObjectNode parameters, String path, Run run) {
        boolean usable = true;
        for (SchemaTypes.Finding finding : SchemaTypes.nonStandard(parameters, path)) {
            if (run.rules.normalizeSchemaTypes() && finding.rewritable()) {
                run.warning(finding.path(), finding.rewrite() + " (normalizeSchemaTypes=true)");
                continue;
            }
            usable = false;
            for (String name : finding.nonStandardNames()) {
                String standard = SchemaTypes.REWRITES.containsKey(name) ? SchemaTypes.REWRITES.get(name) : null;
                String advice = !SchemaTypes.REWRITES.containsKey(name)
                        ? "JSON Schema's types are object, array, string, number, integer, boolean and null"
                        : (standard == null ? "leave \"type\" out to allow any value" : "use \"" + standard + "\"")
                                + ", or import with normalizeSchemaTypes=true";
                run.problem(finding.path(), "\"" + abbreviate(name) + "\" is not a JSON Schema type; " + advice);
            }
        }
        return usable;
    }

    private void checkMessages(JsonNode messages, Map<String, Tool> tools, boolean singleCallOnly, Run run) {
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            run.problem("$.messages", "an example needs a non-empty \"messages\" list");
            return;
        }
        if (messages.size() > limits.maxMessages()) {
            run.problem("$.messages", "has " + messages.size() + " messages; the limit is " + limits.maxMessages());
            return;
        }
        Map<String, String> callIds = new HashMap<>();
        Map<String, PendingCall> unanswered = new LinkedHashMap<>();
        String previousRole = null;
        boolean previousHadCalls = false;
        for (int i = 0; i < messages.size(); i++) {
            String path = "$.messages[" + i + "]";
            JsonNode message = messages.get(i);
            if (!message.isObject()) {
                run.problem(path, "a message must be an object with a role");
                previousRole = null;
                continue;
            }
            JsonNode roleNode = message.get("role");
            String role = roleNode != null && roleNode.isTextual() ? roleNode.asText() : null;
            if (role == null || !ROLES.contains(role)) {
                run.problem(path + ".role", role == null ? "a message needs a role"
                        : "unknown role \"" + abbreviate(role) + "\"; roles are system, user, assistant and tool");
                previousRole = null;
                continue;
            }
            checkOrder(i, role, previousRole, previousHadCalls, path, run);
            if (!ChatMessage.TOOL.equals(role) && !unanswered.isEmpty()) {
                for (PendingCall pending : unanswered.values()) {
                    run.problem(path, "tool call \"" + pending.id() + "\" (" + pending.name() + ") at " + pending.path()
                            + " has no tool result before this " + role + " message");
                }
                unanswered.clear();
            }
            JsonNode content = message.get("content");
            boolean hasContent = content != null && !content.isNull();
            if (hasContent && !content.isTextual()) {
                run.problem(path + ".content", "content must be text");
            }
            JsonNode calls = message.get("tool_calls");
            boolean hasCalls = calls != null && !calls.isNull();
            switch (role) {
                case ChatMessage.ASSISTANT -> {
                    if (hasCalls) {
                        checkCalls(calls, path + ".tool_calls", tools, singleCallOnly, callIds, unanswered, run);
                    } else if (!hasContent) {
                        run.problem(path, "an assistant message needs content or tool_calls");
                    }
                    JsonNode weight = message.get("weight");
                    if (weight != null && !weight.isNull() && !(weight.isNumber() && (weight.asDouble() == 0 || weight.asDouble() == 1))) {
                        run.problem(path + ".weight", "weight must be 0 (do not train on this turn) or 1");
                    }
                }
                case ChatMessage.TOOL -> checkToolResult(message, path, callIds, unanswered, run);
                default -> {
                    if (!hasContent) {
                        run.problem(path + ".content", "a " + role + " message needs text content");
                    }
                }
            }
            if (hasCalls && !ChatMessage.ASSISTANT.equals(role)) {
                run.problem(path + ".tool_calls", "only assistant messages can make tool calls");
            }
            if (message.has("weight") && !message.get("weight").isNull() && !ChatMessage.ASSISTANT.equals(role)) {
                run.problem(path + ".weight", "weight applies to assistant messages only");
            }
            if (message.has("tool_call_id") && !message.get("tool_call_id").isNull() && !ChatMessage.TOOL.equals(role)) {
                run.problem(path + ".tool_call_id", "only tool messages carry a tool_call_id");
            }
            previousRole = role;
            previousHadCalls = hasCalls && calls.isArray() && !calls.isEmpty();
        }
        String lastRole = messages.get(messages.size() - 1).path("role").asText(null);
        if (!ChatMessage.ASSISTANT.equals(lastRole)) {
            run.problem("$.messages[" + (messages.size() - 1) + "]",
                    "the conversation must end with an assistant message: that is what the model learns to produce");
        }
    }

    private static void checkOrder(int index, String role, String previousRole, boolean previousHadCalls, String path, Run run) {
        if (ChatMessage.SYSTEM.equals(role)) {
            if (index != 0) {
                run.problem(path + ".role", "a system message may only come first");
            }
            return;
        }
        if (previousRole == null || ChatMessage.SYSTEM.equals(previousRole)) {
            if (!ChatMessage.USER.equals(role) && index <= 1) {
                run.problem(path + ".role", "the conversation must start with a user message (after an optional system message), found " + role);
            }
            return;
        }
        switch (role) {
            case ChatMessage.USER -> {
                if (ChatMessage.USER.equals(previousRole)) {
                    run.problem(path + ".role", "two user messages in a row; merge them or add the assistant's reply between them");
                } else if (ChatMessage.TOOL.equals(previousRole)) {
                    run.problem(path + ".role", "a user message cannot follow a tool result; the assistant must answer it first");
                }
            }
            case ChatMessage.ASSISTANT -> {
                if (ChatMessage.ASSISTANT.equals(previousRole)) {
                    run.problem(path + ".role", "two assistant messages in a row; merge them into one");
                }
            }
            case ChatMessage.TOOL -> {
                boolean afterCalls = ChatMessage.ASSISTANT.equals(previousRole) && previousHadCalls;
                if (!afterCalls && !ChatMessage.TOOL.equals(previousRole)) {
                    run.problem(path + ".role", "a tool result must follow the assistant message that made the call");
                }
            }
            default -> { }
        }
    }

    private void checkCalls(JsonNode calls, String path, Map<String, Tool> tools, boolean singleCallOnly,
                            Map<String, String> callIds, Map<String, PendingCall> unanswered, Run run) {
        if (!calls.isArray() || calls.isEmpty()) {
            run.problem(path, "tool_calls must be a non-empty list");
            return;
        }
        if (calls.size() > limits.maxCallsPerMessage()) {
            run.problem(path, "makes " + calls.size() + " calls in one message; the limit is " + limits.maxCallsPerMessage());
        }
        if (singleCallOnly && calls.size() > 1) {
            run.problem(path, "parallel_tool_calls is false, but this message makes " + calls.size() + " calls");
        }
        for (int j = 0; j < calls.size(); j++) {
            String callPath = path + "[" + j + "]";
            JsonNode call = calls.get(j);
            if (!call.isObject()) {
                run.problem(callPath, "a tool call must be an object {id, type: \"function\", function: {name, arguments}}");
                continue;
            }
            JsonNode id = call.get("id");
            String callId = id != null && id.isTextual() && !id.asText().isEmpty() ? id.asText() : null;
            if (callId == null) {
                run.problem(callPath + ".id", "a tool call needs an id (text)");
            } else if (callIds.containsKey(callId)) {
                run.problem(callPath + ".id", "call id \"" + callId + "\" is used twice (also at " + callIds.get(callId) + ")");
            }
            if (!"function".equals(call.path("type").asText(null))) {
                run.problem(callPath + ".type", "the only call type is \"function\", found " + call.get("type"));
            }
            JsonNode function = call.get("function");
            if (function == null || !function.isObject()) {
                run.problem(callPath + ".function", "a tool call needs a \"function\" with name and arguments");
                continue;
            }
            JsonNode nameNode = function.get("name");
            String name = nameNode != null && nameNode.isTextual() ? nameNode.asText() : null;
            if (callId != null) {
                callIds.putIfAbsent(callId, callPath);
                unanswered.put(callId, new PendingCall(callId, name, callPath));
            }
            Tool tool = null;
            if (name == null) {
                run.problem(callPath + ".function.name", "a tool call needs the tool's name");
            } else if (!TOOL_NAME.matcher(name).matches()) {
                run.problem(callPath + ".function.name", "tool name \"" + abbreviate(name) + "\" must be 1 to 64 letters, digits, _ or -");
            } else if ((tool = tools.get(name)) == null) {
                run.problem(callPath + ".function.name", tools.isEmpty()
                        ? "calls \"" + name + "\", but the example declares no tools"
                        : "calls \"" + name + "\", which is not a declared tool (declared: " + String.join(", ", tools.keySet()) + ")");
            }
            checkArguments(function.get("arguments"), callPath + ".function.arguments", name, tool, run);
        }
    }

    private void checkArguments(JsonNode arguments, String path, String toolName, Tool tool, Run run) {
        if (arguments == null || !arguments.isTextual()) {
            run.problem(path, "arguments must be a string holding a JSON object");
            return;
        }
        String text = arguments.asText();
        if (text.length() > limits.maxArgumentsBytes() / 4 && text.getBytes(StandardCharsets.UTF_8).length > limits.maxArgumentsBytes()) {
            run.problem(path, "arguments are longer than " + limits.maxArgumentsBytes() + " bytes");
            return;
        }
        JsonNode parsed;
        try {
            parsed = LineJson.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            run.problem(path, "arguments are not valid JSON: " + LineJson.describe(e)
                    + (e.getLocation() == null ? "" : " (at character " + (e.getLocation().getCharOffset() + 1) + ")"));
            return;
        }
        if (parsed == null || !parsed.isObject()) {
            run.problem(path, "arguments must be a JSON object, found " + (parsed == null ? "nothing" : parsed.getNodeType().toString().toLowerCase()));
            return;
        }
        if (tool == null || tool.schema() == null || tool.schema().schema() == null) {
            return;
        }
        checkDeclared((ObjectNode) parsed, path, toolName, tool.parameters(), run);
        List<ValidationMessage> messages = tool.schema().schema().validate(parsed).stream()
                .sorted(Comparator.comparing(ValidationMessage::getMessage))
                .toList();
        for (ValidationMessage message : messages) {
            run.problem(path, "arguments do not match the parameters of \"" + toolName + "\": " + message.getMessage() + offending(message));
        }
    }

    /**
     * Arguments the schema does not declare: names outside {@code properties} (and not matched by
     * {@code patternProperties}) while the schema says nothing about {@code additionalProperties}. When it allows
     * them ({@code true} or a schema) they are declared; when it forbids them ({@code false}) validation reports them.
     */
    private static void checkDeclared(ObjectNode arguments, String path, String toolName, JsonNode parameters, Run run) {
        JsonNode properties = parameters.get("properties");
        if (properties == null || !properties.isObject() || parameters.has("additionalProperties")) {
            return;
        }
        JsonNode patterns = parameters.get("patternProperties");
        for (Iterator<String> names = arguments.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (properties.has(name) || matchesAny(patterns, name)) {
                continue;
            }
            String reason = "argument \"" + abbreviate(name) + "\" is not declared in the parameters of \"" + toolName
                    + "\" (declared: " + abbreviate(String.join(", ", (Iterable<String>) properties::fieldNames)) + ")";
            if (run.rules.undeclaredArguments() == UndeclaredArguments.REJECT) {
                run.problem(path + SchemaTypes.member(name), reason + "; rejected under undeclaredArguments=reject");
            } else {
                run.warning(path + SchemaTypes.member(name), reason + "; a fine-tune learns to invent it");
            }
        }
    }

    private static boolean matchesAny(JsonNode patterns, String name) {
        if (patterns == null || !patterns.isObject()) {
            return false;
        }
        for (Iterator<String> it = patterns.fieldNames(); it.hasNext(); ) {
            try {
                if (Pattern.compile(it.next()).matcher(name).find()) {
                    return true;
                }
            } catch (RuntimeException e) {
                // an invalid pattern is the schema's problem, reported when it is compiled
            }
        }
        return false;
    }

    /** The library's enum and const messages list what is allowed, not what was found: say that too. */
    private static String offending(ValidationMessage message) {
        if (!"enum".equals(message.getType()) && !"const".equals(message.getType()) || message.getInstanceNode() == null) {
            return "";
        }
        String found = message.getInstanceNode().toString();
        return " (found " + (found.length() > 80 ? found.substring(0, 77) + "..." : found) + ")";
    }

    private void checkToolResult(JsonNode message, String path, Map<String, String> callIds,
                                 Map<String, PendingCall> unanswered, Run run) {
        JsonNode content = message.get("content");
        if (content == null || content.isNull()) {
            run.problem(path + ".content", "a tool message needs the tool's result as content");
        }
        JsonNode idNode = message.get("tool_call_id");
        if (idNode == null || !idNode.isTextual() || idNode.asText().isEmpty()) {
            run.problem(path + ".tool_call_id", "a tool message needs the tool_call_id of the call it answers");
            return;
        }
        String id = idNode.asText();
        if (unanswered.remove(id) != null) {
            return;
        }
        if (callIds.containsKey(id)) {
            run.problem(path + ".tool_call_id", "answers call \"" + id + "\" again, or after the conversation moved on; each call gets one result, right after it");
        } else {
            run.problem(path + ".tool_call_id", "answers call \"" + abbreviate(id) + "\", but no earlier assistant message made a call with that id");
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }
}
