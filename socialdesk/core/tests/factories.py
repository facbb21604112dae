"""factory_boy factories for organisations, units, reference data, memberships and jobs."""

from __future__ import annotations

import factory
from django.core.files.base import ContentFile

from socialdesk.core.models import (
    UNIT_ROLES,
    BackgroundJob,
    District,
    DistrictOffice,
    JobStatus,
    Membership,
    Organisation,
    OrganisationKind,
    Region,
    ServiceCategory,
    ServiceType,
    ServiceUnit,
)


class DistrictOfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DistrictOffice
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"office-{n}")
    name_zh = factory.Sequence(lambda n: f"測試福利辦事處{n}")
    name_en = factory.Sequence(lambda n: f"Test District Social Welfare Office {n}")


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"district-{n}")
    name_zh = factory.Sequence(lambda n: f"測試區{n}")
    name_en = factory.Sequence(lambda n: f"Test District {n}")
    region = Region.NEW_TERRITORIES
    district_office = factory.SubFactory(DistrictOfficeFactory)


class ServiceTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"type-{n}")
    abbreviation = factory.Sequence(lambda n: f"T{n}")
    name_zh = factory.Sequence(lambda n: f"測試服務{n}")
    name_en = factory.Sequence(lambda n: f"Test Service {n}")
    category = ServiceCategory.FAMILY_CHILD
    holds_personal_data = True


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ngo-{n}")
    kind = OrganisationKind.NGO
    name_zh = factory.Sequence(lambda n: f"測試機構{n}")
    name_en = factory.Sequence(lambda n: f"Test Agency {n}")


class ServiceUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceUnit

    organisation = factory.SubFactory(OrganisationFactory)
    service_type = factory.SubFactory(ServiceTypeFactory)
    district = factory.SubFactory(DistrictFactory)
    code = factory.Sequence(lambda n: f"unit-{n}")
    name_zh = factory.Sequence(lambda n: f"測試服務單位{n}")
    name_en = factory.Sequence(lambda n: f"Test Service Unit {n}")
    address_zh = factory.Sequence(lambda n: f"測試街{n}號")
    address_en = factory.Sequence(lambda n: f"{n} Test Street")
    phone = factory.Sequence(lambda n: f"2{n % 10000000:07d}")


class MembershipFactory(factory.django.DjangoModelFactory):
    """A role; unit roles get a unit of the organisation unless one is given."""

    class Meta:
        model = Membership

    user = factory.SubFactory("socialdesk.accounts.tests.factories.UserFactory")
    organisation = factory.SubFactory(OrganisationFactory)
    role = "agency_admin"
    service_unit = factory.LazyAttribute(
        lambda o: ServiceUnitFactory(organisation=o.organisation) if o.role in UNIT_ROLES else None
    )


class BackgroundJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BackgroundJob

    kind = "test_export"
    requested_by = factory.SubFactory("socialdesk.accounts.tests.factories.UserFactory")
    status = JobStatus.QUEUED


def finished_job(*, requested_by, name: str, content: bytes) -> BackgroundJob:
    """A succeeded job whose result file holds `content`."""
    job = BackgroundJobFactory(requested_by=requested_by, status=JobStatus.SUCCEEDED, progress=100)
    job.result_file.save(name, ContentFile(content), save=False)
    job.result_name = name
    job.save()
    return job
