"""Admin actions that end facts (restrictions ended, outages restored) at the time it happened.

Like the status form, an action first shows a page for the selected rows that asks when it happened
(now by default; back-dating allowed, the future not), why, and on whose word; the service then
checks the rules (access.services.ending) and a refused time shows on the form with nothing saved.
Rows outside the coordinator's regions, or already over, are listed as left unchanged, with the reason.
"""

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from .forms import FactEndForm
from .refusals import coverage_sentence

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
    from django_stubs_ext import StrOrPromise

    # The mixin is only ever mixed into a ModelAdmin; the type checker is told so, the runtime is not.
    _AdminBase = ModelAdmin[Any]
else:
    _AdminBase = object


def wrap_source_widget(form, request, admin_site, model) -> None:
    """The admin's "+" beside a form's source: record a new source in a pop-up without leaving."""
    field = form.fields["source"]
    field.widget = RelatedFieldWidgetWrapper(
        field.widget,
        model._meta.get_field("source").remote_field,
        admin_site,
        can_add_related=request.user.has_perm("access.add_source"),
    )


class EndFactsActionMixin(_AdminBase):
    """For a RegionScopedAdmin of a time-bound fact (access.models.in_force.TimeBoundFact):
    `end_with_form` runs an ending action through its form page.

    Subclasses set the form (`end_form_class`, whose fields are the ending service's keywords) and
    the page's words, and implement `end_records(request, records, cleaned_data)`, which calls the
    service and returns how many it ended.
    """

    end_form_class: type[FactEndForm]
    end_title: "StrOrPromise" = ""
    end_submit_label: "StrOrPromise" = ""
    end_done_verb: "StrOrPromise" = ""

    def end_records(self, request, records, data: dict) -> int:
        raise NotImplementedError

    def end_with_form(self, request, queryset):
        selected = list(queryset.select_related("region"))
        editable_ids = set(self.editable(request, queryset).values_list("pk", flat=True))
        outside = [record for record in selected if record.pk not in editable_ids]
        over = [r for r in selected if r.pk in editable_ids and r.end is not None]
        to_end = [r for r in selected if r.pk in editable_ids and r.end is None]
        outside_regions = list(dict.fromkeys(record.region for record in outside))
        if not to_end:
            why = [_("None of the selected records can be ended: they are already over or not yours to change.")]
            if outside_regions:
                why.append(coverage_sentence(request.user, outside_regions))
            self.message_user(request, " ".join(why), level=messages.WARNING)
            return None

        applying = "apply" in request.POST
        form = self.end_form_class(request.POST if applying else None)
        wrap_source_widget(form, request, self.admin_site, self.model)
        if applying and form.is_valid():
            records = self.model._default_manager.filter(pk__in=[r.pk for r in to_end])
            try:
                done = self.end_records(request, records, form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                self.report_ended(request, len(selected), done, self.end_done_verb, outside_regions)
                return None

        context = {
            **self.admin_site.each_context(request),
            "title": self.end_title,
            "subtitle": None,
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
            "to_end": [(record, record.start) for record in to_end],
            "over": over,
            "outside": outside,
            "coverage": coverage_sentence(request.user, outside_regions) if outside else "",
            "selected_ids": [record.pk for record in selected],
            "action": request.POST.get("action", ""),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "submit_label": self.end_submit_label,
        }
        return TemplateResponse(request, "admin/access/end_facts.html", context)

    def report_ended(self, request, selected: int, done: int, verb: str, outside_regions) -> None:
        noun = self.opts.verbose_name if done == 1 else self.opts.verbose_name_plural
        self.message_user(
            request,
            _("%(count)d %(noun)s %(verb)s.") % {"count": done, "noun": noun, "verb": verb},
            level=messages.SUCCESS if done else messages.WARNING,
        )
        if selected > done:
            why = _("%(count)d left unchanged: already over, or outside your regions.") % {"count": selected - done}
            if outside_regions:
                why = f"{why} {coverage_sentence(request.user, outside_regions)}"
            self.message_user(request, why, level=messages.WARNING)
