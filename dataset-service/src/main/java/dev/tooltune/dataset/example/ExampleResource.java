package dev.tooltune.dataset.example;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.importing.ImportFormat;
import dev.tooltune.dataset.api.ApiException;
import dev.tooltune.dataset.validation.ExampleValidator;
import dev.tooltune.dataset.validation.LineRules;
import dev.tooltune.dataset.validation.PreparedExample;
import dev.tooltune.dataset.version.DatasetVersion;
import dev.tooltune.dataset.version.VersionView;
import dev.tooltune.dataset.version.Versions;
import io.quarkus.hibernate.orm.panache.Panache;
import io.quarkus.narayana.jta.QuarkusTransaction;
import dev.tooltune.dataset.tenant.CallerTenant;
import dev.tooltune.internalauth.InternalTokenIdentityProvider;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.persistence.Query;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestPath;
import org.jboss.resteasy.reactive.RestQuery;

@RolesAllowed(InternalTokenIdentityProvider.ROLE)
@Path("/datasets/{datasetId}/versions/{version}/examples")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Examples", description = "Read a version's examples; replacing or deleting one makes a new version")
public class ExampleResource {

    @Inject
    CallerTenant tenant;
    private static final int MAX_PAGE_SIZE = 500;

    @Inject
    ExampleValidator validator;

    @Inject
    VersionEditor editor;

    /** What an edit produced: the new version and, for a replacement, the new example. */
    public record EditResult(VersionView version, ExampleView example) {}

    @GET
    @Transactional
    @Operation(summary = "Examples of a version, in order, a page at a time")
    public ExamplePage list(@RestPath long datasetId, @RestPath String version,
                            @Parameter(description = "0-based page") @RestQuery @DefaultValue("0") int page,
                            @Parameter(description = "examples per page, at most 500") @RestQuery @DefaultValue("50") int size,
                            @Parameter(description = "only examples that call this tool") @RestQuery String tool,
                            @Parameter(description = "only valid (true) or invalid (false) examples") @RestQuery Boolean valid) {
        if (page < 0 || size < 1 || size > MAX_PAGE_SIZE) {
            throw ApiException.badRequest("page must be >= 0 and size between 1 and " + MAX_PAGE_SIZE);
        }
        DatasetVersion found = Versions.require(tenant.id(), datasetId, version);
        StringBuilder where = new StringBuilder("ve.version_id = :version");
        if (tool != null && !tool.isBlank()) {
            where.append(" and e.called_tools @> cast(:tool as jsonb)");
        }
        if (valid != null) {
            where.append(" and e.valid = :valid");
        }
        String from = " from version_example ve join example e on e.id = ve.example_id where " + where;
        Query count = bind(Panache.getEntityManager().createNativeQuery("select count(*)" + from), found, tool, valid);
        Query rows = bind(Panache.getEntityManager().createNativeQuery(
                "select " + ExampleView.COLUMNS + from + " order by ve.position limit :limit offset :offset"), found, tool, valid)
                .setParameter("limit", size)
                .setParameter("offset", (long) page * size);
        long total = ((Number) count.getSingleResult()).longValue();
        @SuppressWarnings("unchecked")
        List<Object[]> result = rows.getResultList();
        return new ExamplePage(page, size, total, result.stream().map(ExampleView::of).toList());
    }

    private static Query bind(Query query, DatasetVersion version, String tool, Boolean valid) {
        query.setParameter("version", version.id);
        if (tool != null && !tool.isBlank()) {
            query.setParameter("tool", ChatJson.MAPPER.createArrayNode().add(tool).toString());
        }
        if (valid != null) {
            query.setParameter("valid", valid);
        }
        return query;
    }

    @GET
    @Path("{exampleId}")
    @Transactional
    public ExampleView get(@RestPath long datasetId, @RestPath String version, @RestPath long exampleId) {
        return find(Versions.require(tenant.id(), datasetId, version), exampleId);
    }

    @PUT
    @Path("{exampleId}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Replace an example, making a new version",
            description = "The body is one example in the given format; it is normalised and validated like an imported "
                    + "line. An invalid replacement is refused with 422 and its problems unless keepInvalid=true.")
    public Response replace(@RestPath long datasetId, @RestPath String version, @RestPath long exampleId,
                            @RestQuery @DefaultValue("openai") String format,
                            @RestQuery @DefaultValue("false") boolean keepInvalid,
                            String body) {
        String tenantId = tenant.id();
        ImportFormat parsedFormat = ImportFormat.parse(format);
        PreparedExample replacement = PreparedExample.fromJsonText(body == null ? "" : body, LineRules.of(parsedFormat), validator);
        if (!replacement.valid() && (!keepInvalid || !replacement.storable())) {
            throw new ApiException(422, "the replacement example is not valid", replacement.problems());
        }
        String problemsJson;
        try {
            problemsJson = replacement.valid() ? null : ChatJson.MAPPER.writeValueAsString(replacement.problems());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        VersionEditor.Edit edit = QuarkusTransaction.requiringNew().call(() -> {
            DatasetVersion base = Versions.require(tenantId, datasetId, version);
            ExampleView old = find(base, exampleId);
            return editor.replace(base, exampleId, old.position(), old.valid(), replacement, problemsJson);
        });
        EditResult result = QuarkusTransaction.requiringNew().call(() -> {
            DatasetVersion created = DatasetVersion.findById(edit.versionId());
            return new EditResult(VersionView.of(created), find(created, edit.exampleId()));
        });
        return Response.status(Response.Status.CREATED).entity(result).build();
    }

    @DELETE
    @Path("{exampleId}")
    @Operation(summary = "Delete an example, making a new version without it")
    public EditResult delete(@RestPath long datasetId, @RestPath String version, @RestPath long exampleId) {
        String tenantId = tenant.id();
        VersionEditor.Edit edit = QuarkusTransaction.requiringNew().call(() -> {
            DatasetVersion base = Versions.require(tenantId, datasetId, version);
            ExampleView old = find(base, exampleId);
            return editor.remove(base, exampleId, old.position(), old.valid());
        });
        return QuarkusTransaction.requiringNew().call(() ->
                new EditResult(VersionView.of(DatasetVersion.findById(edit.versionId())), null));
    }

    private static ExampleView find(DatasetVersion version, long exampleId) {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = Panache.getEntityManager().createNativeQuery("select " + ExampleView.COLUMNS
                        + " from version_example ve join example e on e.id = ve.example_id"
                        + " where ve.version_id = :version and e.id = :example")
                .setParameter("version", version.id)
                .setParameter("example", exampleId)
                .getResultList();
        if (rows.isEmpty()) {
            throw ApiException.notFound("version " + version.number + " of dataset " + version.datasetId + " has no example " + exampleId);
        }
        return ExampleView.of(rows.get(0));
    }
}
